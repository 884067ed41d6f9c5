import { isNotAvailable } from "../api/client.ts";
import { getPlan } from "../api/endpoints.ts";
import type { BuildPlan } from "../api/types.ts";
import { useLoad } from "../hooks.ts";
import { ErrorAlert, Unavailable } from "./error-alert.tsx";

/** What `kli8nt plan` detects for this app: shown before the first build, and on demand after. */
export function PlanPanel({ name, firstBuild }: { readonly name: string; readonly firstBuild: boolean }) {
  const plan = useLoad(`plan:${name}`, () => getPlan(name));
  return (
    <details className="card plan" open={firstBuild}>
      <summary>
        <h2>Build plan</h2>
      </summary>
      {plan.loading && !plan.data && !plan.error ? (
        <p role="status">Detecting how to build this app…</p>
      ) : null}
      {isNotAvailable(plan.error) ? (
        <Unavailable feature="Plan detection">
          <p>
            The build detects the stack itself. To see the plan now, run{" "}
            <code>npx kli8nt plan &lt;dir&gt;</code> in a checkout of the repository.
          </p>
        </Unavailable>
      ) : (
        <ErrorAlert error={plan.error} onRetry={plan.reload} />
      )}
      {plan.data ? <PlanDetails plan={plan.data} /> : null}
    </details>
  );
}

function PlanDetails({ plan }: { readonly plan: BuildPlan }) {
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Provider</dt>
          <dd>
            {plan.provider}
            {plan.framework ? ` · ${plan.framework}` : ""}
          </dd>
        </div>
        <div>
          <dt>Versions</dt>
          <dd>
            {Object.entries(plan.runtimeVersions)
              .map(([k, v]) => `${k} ${v}`)
              .join(", ") || "—"}
          </dd>
        </div>
        <div>
          <dt>Port</dt>
          <dd>{plan.port ?? "none"}</dd>
        </div>
        {plan.detectedBy ? (
          <div>
            <dt>Detected by</dt>
            <dd>{plan.detectedBy}</dd>
          </div>
        ) : null}
        {plan.commitSha ? (
          <div>
            <dt>Commit</dt>
            <dd>
              <code>{plan.commitSha.slice(0, 7)}</code>
              {plan.branch ? ` on ${plan.branch}` : ""}
            </dd>
          </div>
        ) : null}
      </dl>
      <dl className="commands">
        <dt>Install</dt>
        <dd>
          <code>{plan.install.join(" && ") || "—"}</code>
        </dd>
        <dt>Build</dt>
        <dd>
          <code>{plan.build.join(" && ") || "—"}</code>
        </dd>
        <dt>Start</dt>
        <dd>
          <code>{plan.start ?? "the image's own command"}</code>
        </dd>
      </dl>
      {plan.warnings.length > 0 ? (
        <ul className="warnings" aria-label="Plan warnings">
          {plan.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      <p className="muted">
        Override commands, the Dockerfile and the port in Settings, or commands and versions with a{" "}
        <code>kli8nt.json</code> in the repository.
      </p>
    </>
  );
}
