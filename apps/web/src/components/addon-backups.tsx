import { useState } from "react";
import { type Addon, type AddonBackup, backUpNow, listBackups, restoreBackup } from "../api/addons.ts";
import { fullTime, timeAgo } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { ErrorAlert } from "./error-alert.tsx";

export const megabytes = (bytes: number | null) =>
  bytes === null ? "–" : bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;

/** The add-on's backups, newest first (one a night by default), "Back up now", and restore after confirming. */
export function AddonBackups({ name, addon }: { readonly name: string; readonly addon: Addon }) {
  // Loaded again when the status moves: the first nightly backup is taken as the database becomes ready.
  const list = useLoad(`addon-backups:${name}:${addon.id}:${addon.status}`, () =>
    listBackups(name, addon.id),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [target, setTarget] = useState<AddonBackup | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  const items = list.data?.items ?? [];

  const backUp = async () => {
    setBusy(true);
    setError(null);
    try {
      await backUpNow(name, addon.id);
      list.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="addon-backups">
      <div className="section-head">
        <h4>Backups</h4>
        <button
          type="button"
          className="button button-small"
          disabled={busy || addon.status !== "ready"}
          onClick={() => void backUp()}
        >
          {busy ? "Backing up…" : "Back up now"}
        </button>
      </div>
      <ErrorAlert error={error ?? list.error} onRetry={list.reload} />
      {restored ? (
        <p className="alert alert-success" role="status">
          Restored the backup of {restored}.
        </p>
      ) : null}
      {list.data && items.length === 0 ? (
        <p className="muted">No backups yet; one is taken every night.</p>
      ) : null}
      {items.length > 0 ? (
        <table className="history backups">
          <thead>
            <tr>
              <th scope="col">Taken</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((b) => (
              <tr key={b.id}>
                <td data-label="Taken">
                  <time dateTime={b.createdAt} title={fullTime(b.createdAt)}>
                    {timeAgo(b.createdAt)}
                  </time>
                </td>
                <td data-label="Size">{megabytes(b.sizeBytes)}</td>
                <td className="actions">
                  <button type="button" className="button button-small" onClick={() => setTarget(b)}>
                    Restore <span className="sr-only">the backup of {fullTime(b.createdAt)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ConfirmDialog
        open={target !== null}
        titleId={`restore-title-${addon.id}`}
        title={<>Restore the backup of {target ? fullTime(target.createdAt) : ""}?</>}
        label="Restore"
        busyLabel="Restoring…"
        tone="danger"
        action={async () => {
          if (target) await restoreBackup(name, addon.id, target.id);
        }}
        onClose={() => setTarget(null)}
        onDone={() => {
          setRestored(target ? fullTime(target.createdAt) : null);
          setTarget(null);
        }}
      >
        <p>
          The database <code>{addon.database}</code> is replaced by this backup: everything written since is
          lost and the app's open connections are closed. Take a backup first if you may need what is there
          now.
        </p>
      </ConfirmDialog>
    </div>
  );
}
