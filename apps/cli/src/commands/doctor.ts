import { KubeConfig } from "@kubernetes/client-node";
import { parseArgs } from "../client/args.ts";
import {
  type CheckResult,
  checkApiServer,
  checkBuildNamespace,
  checkCertManager,
  checkIngressClass,
  checkPermissions,
  checkRegistry,
  type DoctorOptions,
} from "./doctor-checks.ts";
import { checkCnpg } from "./doctor-cnpg.ts";
import { checkMetricsApi } from "./doctor-metrics-api.ts";
import type { CommandIo } from "./plan.ts";
import { checkAppsDomainSite } from "./site-check.ts";

export const DOCTOR_USAGE = `usage: kli8nt doctor [--kubeconfig <path>] [--context <name>] [--ingress-class nginx]
                     [--issuer <ClusterIssuer name>] [--issuer-kind ClusterIssuer|Issuer]
                     [--registry <host[:port]>] [--build-namespace kli8nt-builds]
                     [--public-url https://kli8nt.example.com --apps-domain example-apps.com] [--json]
`;

/** Exit codes: 0 everything is there, 1 something is missing, 2 usage. */
export const DOCTOR_EXIT = { ok: 0, missing: 1, usage: 2 } as const;

/**
 * Runs every preflight check against the cluster, in order; when the API server cannot be reached
 * the other checks are not attempted (they would all say the same thing).
 */
export async function runDoctor(kc: KubeConfig, options: DoctorOptions): Promise<CheckResult[]> {
  const api = await checkApiServer(kc);
  if (!api.ok) return [api];
  const guard = async (name: string, check: () => Promise<CheckResult>): Promise<CheckResult> => {
    try {
      return await check();
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      return { name, ok: false, message: `Could not check ${name}: ${why}` };
    }
  };
  return [
    api,
    await guard("ingress-class", () => checkIngressClass(kc, options.ingressClass)),
    await guard("cert-manager", () => checkCertManager(kc, options.issuer)),
    await guard("rbac", () => checkPermissions(kc, options.buildNamespace)),
    await guard("build-namespace", () => checkBuildNamespace(kc, options.buildNamespace)),
    await checkRegistry(options.registry, options.timeoutMs),
    await guard("metrics-api", () => checkMetricsApi(kc)),
    await guard("cnpg", () => checkCnpg(kc)),
  ];
}

function flag(flags: ReadonlyMap<string, string | true>, name: string, fallback: string): string {
  const value = flags.get(name);
  return typeof value === "string" ? value : fallback;
}

function loadKubeConfig(flags: ReadonlyMap<string, string | true>): KubeConfig {
  const kc = new KubeConfig();
  const path = flags.get("kubeconfig");
  if (typeof path === "string") kc.loadFromFile(path);
  else kc.loadFromDefault();
  const context = flags.get("context");
  if (typeof context === "string") kc.setCurrentContext(context);
  return kc;
}

/** An optional feature that is absent is said, not counted as a failure. */
const failed = (r: CheckResult) => !r.ok && r.optional !== true;

function report(results: readonly CheckResult[], json: boolean, io: CommandIo): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  for (const r of results)
    io.stdout.write(
      `${r.ok ? "ok     " : r.optional ? "absent " : "MISSING"} ${r.name.padEnd(16)} ${r.message}\n`,
    );
  const missing = results.filter(failed).length;
  io.stdout.write(missing === 0 ? "The cluster is ready for Kli8nt.\n" : `${missing} check(s) failed.\n`);
}

/** `kli8nt doctor`: says exactly what the cluster is missing for the Kubernetes mode. */
export async function doctorCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags } = parseArgs(argv, ["json"]);
  const kind = flag(flags, "issuer-kind", "ClusterIssuer");
  if (kind !== "ClusterIssuer" && kind !== "Issuer") {
    io.stderr.write(DOCTOR_USAGE);
    return DOCTOR_EXIT.usage;
  }
  const registry = flags.get("registry");
  const publicUrl = flags.get("public-url");
  const appsDomain = flags.get("apps-domain");
  // The domain check needs no cluster: it comes first and is reported even when the API server is down.
  const site =
    typeof publicUrl === "string" && typeof appsDomain === "string"
      ? [checkAppsDomainSite(publicUrl, appsDomain)]
      : [];
  const cluster = await runDoctor(loadKubeConfig(flags), {
    ingressClass: flag(flags, "ingress-class", "nginx"),
    issuer: { kind, name: flag(flags, "issuer", "letsencrypt") },
    registry: typeof registry === "string" ? registry : undefined,
    buildNamespace: flag(flags, "build-namespace", "kli8nt-builds"),
  });
  const results = [...site, ...cluster];
  report(results, flags.has("json"), io);
  return results.some(failed) ? DOCTOR_EXIT.missing : DOCTOR_EXIT.ok;
}
