import { execFile } from "node:child_process";

/**
 * The operator's DNS-01 hook (ADR 0230), called as lego's `exec` provider calls its program:
 * `<hook> present|cleanup <fqdn> <value>`, the FQDN being `_acme-challenge.<domain>.`. It exits 0 once the
 * TXT record is published (present) or removed (cleanup). Run without a shell, with the platform's
 * environment (where a provider's API token lives) and a time limit.
 */
export interface DnsHookOptions {
  readonly path: string;
  readonly timeoutMs?: number;
}

const OUTPUT_MAX = 300;

export function challengeRecordName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, "").replace(/\.$/, "")}.`;
}

export function runDnsHook(
  options: DnsHookOptions,
  action: "present" | "cleanup",
  fqdn: string,
  value: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      options.path,
      [action, fqdn, value],
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 1 << 20 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const said = String(stderr).replace(/\s+/g, " ").trim().slice(-OUTPUT_MAX);
        reject(new Error(`The DNS hook ${failure(error)} on ${action} ${fqdn}${said ? `: ${said}` : ""}`));
      },
    );
  });
}

function failure(error: { killed?: boolean; code?: unknown; message: string }): string {
  if (error.killed) return "did not finish in time";
  if (typeof error.code === "number") return `exited with ${error.code}`;
  return `could not run (${String(error.code ?? error.message)})`;
}
