import { type AddonDump, listDumps } from "../api/addons.ts";
import { fullTime, timeAgo } from "../format.ts";
import { useInterval, useLoad } from "../hooks.ts";
import { BACKUP_STATUS, megabytes, pending } from "./addon-backups.tsx";
import { ErrorAlert } from "./error-alert.tsx";

interface Props {
  readonly name: string;
  /** Changes when the add-ons do, so a delete's new dump is listed at once. */
  readonly version: string;
  /** One PostgreSQL database per app: a dump is restored into a new one only when there is none. */
  readonly canRestore: boolean;
  readonly onRestore: (dumpId: string) => Promise<void>;
}

/**
 * The final dumps of the app's deleted databases (ADR 0228), newest first, each restorable into a new
 * database: the api makes it and loads the dump (here at once, in a cluster once it is ready).
 */
export function FinalDumps({ name, version, canRestore, onRestore }: Props) {
  const list = useLoad(`addon-dumps:${name}:${version}`, () => listDumps(name));
  const items = list.data?.items ?? [];
  // Follows a cluster's final dump until the deploy controller has taken it.
  useInterval(
    list.reload,
    2000,
    items.some((d) => pending(d.status)),
  );
  if (items.length === 0 && !list.error) return null;
  return (
    <section className="addon-dumps card" aria-labelledby="dumps-title">
      <h3 id="dumps-title">Final dumps</h3>
      <p className="muted small">
        Kept when a database is deleted.{" "}
        {canRestore
          ? "Restoring one makes a new database from it."
          : "Delete the current database to restore one."}
      </p>
      <ErrorAlert error={list.error} onRetry={list.reload} />
      {items.length > 0 ? (
        <table className="history backups">
          <thead>
            <tr>
              <th scope="col">Taken</th>
              <th scope="col">Database</th>
              <th scope="col">Size</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <DumpRow key={d.id} dump={d} canRestore={canRestore} onRestore={onRestore} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function DumpRow({
  dump,
  canRestore,
  onRestore,
}: {
  readonly dump: AddonDump;
  readonly canRestore: boolean;
  readonly onRestore: (id: string) => Promise<void>;
}) {
  const status = BACKUP_STATUS[dump.status];
  return (
    <tr>
      <td data-label="Taken">
        <time dateTime={dump.createdAt} title={fullTime(dump.createdAt)}>
          {timeAgo(dump.createdAt)}
        </time>
      </td>
      <td data-label="Database" className="truncate">
        <code>{dump.database}</code>
      </td>
      <td data-label="Size">{megabytes(dump.sizeBytes)}</td>
      <td data-label="Status">
        <span className={`badge badge-${status.tone}`}>{status.label}</span>
      </td>
      <td className="actions">
        {dump.status === "done" ? (
          <button
            type="button"
            className="button button-small"
            disabled={!canRestore}
            onClick={() => void onRestore(dump.id)}
          >
            Restore into a new database{" "}
            <span className="sr-only">from the dump of {fullTime(dump.createdAt)}</span>
          </button>
        ) : null}
      </td>
    </tr>
  );
}
