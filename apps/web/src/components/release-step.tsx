import type { Deployment } from "../api/types.ts";
import { Link } from "../router.tsx";

/**
 * A deployment's release phase (its release command, run once before the release takes traffic), from the
 * `released` condition the deploy controller records; nothing for an app without a release command.
 */
export function ReleaseStep({
  deployment: d,
  logs,
}: {
  readonly deployment: Deployment;
  readonly logs: string;
}) {
  const released = d.conditions?.find((c) => c.type === "released");
  if (!released) return null;
  const ok = released.status === "true";
  const running = released.status === "unknown";
  const label = ok ? "Release ran" : running ? "Release running" : "Release failed";
  return (
    <span className={`release-step ${ok ? "release-ok" : running ? "release-running" : "release-failed"}`}>
      <span className="release-label">{label}</span>{" "}
      {released.message ? (
        <code className="truncate" title={released.message}>
          {released.message}
        </code>
      ) : null}{" "}
      <Link to={`${logs}&phase=release`}>
        release log <span className="sr-only">of #{d.number}</span>
      </Link>
    </span>
  );
}
