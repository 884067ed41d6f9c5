/**
 * Which builder and runtime `kli8nt start` may use (ADR 0138). The process builder and runtime run tenant
 * code as host processes of the platform's user, next to its secret key: acceptable only for one person
 * trying Kli8nt on their own machine. With GitHub sign-in (anyone with an account may deploy) or a
 * non-loopback host (others can reach it), they are refused, and `auto` never falls back to them.
 */
export interface IsolationInput {
  readonly builder: "auto" | "buildah" | "process";
  readonly runtime: "auto" | "podman" | "process";
  /** KLI8NT_GITHUB_CLIENT_ID is set: other people can sign in and deploy. */
  readonly githubSignIn: boolean;
  /** KLI8NT_HOST, where the api listens. */
  readonly host: string;
  readonly hasBuildah: boolean;
  readonly hasPodman: boolean;
}

export type IsolationDecision =
  | {
      readonly ok: true;
      readonly builder: "buildah" | "process";
      readonly runtime: "podman" | "process";
      /** Said at start when the unisolated fallback was picked. */
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly message: string };

const INSTALL =
  "Install buildah and podman (Debian/Ubuntu: `apt-get install buildah podman runc`; Fedora: `dnf install buildah podman`) and leave KLI8NT_BUILDER and KLI8NT_RUNTIME at auto.";

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Why tenant code must be isolated here, or null for a single-user install on loopback. */
function sharedReason(input: IsolationInput): string | null {
  if (input.githubSignIn)
    return "GitHub sign-in is enabled (KLI8NT_GITHUB_CLIENT_ID), so anyone who signs in can deploy";
  if (!isLoopbackHost(input.host))
    return `KLI8NT_HOST=${input.host} is not a loopback address, so others can reach this platform`;
  return null;
}

type Tool = { setting: string; value: string; isolated: string; fallback: string; present: boolean };

function pick(tool: Tool, shared: string | null): { kind: string; note?: string } | string {
  const unisolated = `the ${tool.fallback} ${tool.setting === "KLI8NT_BUILDER" ? "builder" : "runtime"} runs tenant code as host processes of the platform's user, which can read its secret key`;
  if (tool.value === tool.fallback) {
    return shared
      ? `${tool.setting}=${tool.fallback} is refused: ${shared}, and ${unisolated}. ${INSTALL}`
      : { kind: tool.fallback };
  }
  if (tool.value !== "auto" || tool.present) return { kind: tool.isolated };
  if (shared)
    return `${tool.isolated} is not installed and ${shared}: Kli8nt will not fall back to running tenant code unisolated. ${INSTALL}`;
  return {
    kind: tool.fallback,
    note: `${tool.isolated} not found: ${tool.fallback} fallback for a single-user install on loopback (unisolated; install ${tool.isolated} to isolate apps)`,
  };
}

export function decideIsolation(input: IsolationInput): IsolationDecision {
  const shared = sharedReason(input);
  const builder = pick(
    {
      setting: "KLI8NT_BUILDER",
      value: input.builder,
      isolated: "buildah",
      fallback: "process",
      present: input.hasBuildah,
    },
    shared,
  );
  const runtime = pick(
    {
      setting: "KLI8NT_RUNTIME",
      value: input.runtime,
      isolated: "podman",
      fallback: "process",
      present: input.hasPodman,
    },
    shared,
  );
  const refusals = [builder, runtime].filter((r): r is string => typeof r === "string");
  if (refusals.length > 0) return { ok: false, message: [...new Set(refusals)].join("\n") };
  const b = builder as { kind: "buildah" | "process"; note?: string };
  const r = runtime as { kind: "podman" | "process"; note?: string };
  return {
    ok: true,
    builder: b.kind,
    runtime: r.kind,
    notes: [b.note, r.note].filter((n): n is string => !!n),
  };
}
