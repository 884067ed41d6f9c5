import { Writable } from "node:stream";
import { postgresAddonNames } from "@kli8nt/manifests";
import type { Exec, V1Status } from "@kubernetes/client-node";

/**
 * The add-on's database size, read by exec into its pod (ADR 0229): the API server relays the exec to the
 * kubelet, which runs psql beside the server. The password is expanded by the container's shell from its
 * own environment; it is never on our side of the call.
 */
const QUERY =
  'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "select pg_database_size(current_database())"';
const TIMEOUT_MS = 20_000;

export async function execDatabaseSize(exec: Exec, namespace: string, appName: string): Promise<number> {
  const pod = `${postgresAddonNames(appName).workload}-0`;
  let out = "";
  let err = "";
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        add(chunk.toString("utf8"));
        done();
      },
    });
  const status = await new Promise<V1Status>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exec into ${pod} timed out`)), TIMEOUT_MS);
    exec
      .exec(
        namespace,
        pod,
        "postgres",
        ["sh", "-c", QUERY],
        sink((s) => {
          out += s;
        }),
        sink((s) => {
          err += s;
        }),
        null,
        false,
        (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      )
      .catch((error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
  });
  const size = Number.parseInt(out.trim(), 10);
  if (status.status !== "Success" || !Number.isFinite(size)) {
    throw new Error(`psql in ${pod} failed: ${(err.trim() || status.message) ?? "no output"}`.slice(0, 300));
  }
  return size;
}
