import { useRef, useState } from "react";
import {
  type Addon,
  type AddonBackup,
  type BackupStatus,
  backUpNow,
  listBackups,
  restoreBackup,
} from "../api/addons.ts";
import { fullTime, timeAgo } from "../format.ts";
import { useInterval, useLoad } from "../hooks.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { ErrorAlert } from "./error-alert.tsx";

export const megabytes = (bytes: number | null) =>
  bytes === null ? "–" : bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;

/** A backup's or restore's state as a badge (cluster mode's requests move through all four). */
export const BACKUP_STATUS: Readonly<Record<BackupStatus, { label: string; tone: string }>> = {
  requested: { label: "Requested", tone: "queued" },
  running: { label: "Running", tone: "deploying" },
  done: { label: "Done", tone: "live" },
  error: { label: "Error", tone: "failed" },
};

export const pending = (status: BackupStatus | undefined) => status === "requested" || status === "running";

/** The add-on's last restore: what was asked, how it went, and the controller's or server's detail. */
function RestoreState({ addon, items }: { readonly addon: Addon; readonly items: readonly AddonBackup[] }) {
  const r = addon.restore;
  if (!r) return null;
  const of = items.find((b) => b.id === r.backupId);
  const status = BACKUP_STATUS[r.status];
  return (
    <p className={`alert ${r.status === "error" ? "alert-error" : "alert-info"} restore-state`} role="status">
      Restore of {of ? `the backup of ${fullTime(of.createdAt)}` : <code>{r.backupId}</code>}:{" "}
      <span className={`badge badge-${status.tone}`}>{status.label}</span>
      {r.detail ? <> {r.detail}</> : null}
    </p>
  );
}
/** The add-on's backups, newest first (one a night by default), "Back up now", and restore after confirming. */
export function AddonBackups({
  name,
  addon,
  onRestore,
}: {
  readonly name: string;
  readonly addon: Addon;
  /** The add-on's restore state changed: its parent loads it again. */
  readonly onRestore?: () => void;
}) {
  // Loaded again when the status moves: the first nightly backup is taken as the database becomes ready.
  const list = useLoad(`addon-backups:${name}:${addon.id}:${addon.status}`, () =>
    listBackups(name, addon.id),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [target, setTarget] = useState<AddonBackup | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  const restoredText = useRef("");
  const items = list.data?.items ?? [];
  // Follows the deploy controller taking a requested backup (cluster mode).
  useInterval(
    list.reload,
    2000,
    items.some((b) => pending(b.status)),
  );

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
          {restored}
        </p>
      ) : null}
      <RestoreState addon={addon} items={items} />
      {list.data && items.length === 0 ? (
        <p className="muted">No backups yet; one is taken every night.</p>
      ) : null}
      {items.length > 0 ? (
        <table className="history backups">
          <thead>
            <tr>
              <th scope="col">Taken</th>
              <th scope="col">Size</th>
              <th scope="col">Status</th>
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
                <td data-label="Status">
                  <span className={`badge badge-${BACKUP_STATUS[b.status].tone}`}>
                    {BACKUP_STATUS[b.status].label}
                  </span>
                  {b.detail ? <span className="backup-detail muted small">{b.detail}</span> : null}
                </td>
                <td className="actions">
                  {b.status === "done" ? (
                    <button
                      type="button"
                      className="button button-small"
                      disabled={addon.status !== "ready" || pending(addon.restore?.status)}
                      onClick={() => setTarget(b)}
                    >
                      Restore <span className="sr-only">the backup of {fullTime(b.createdAt)}</span>
                    </button>
                  ) : null}
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
          if (!target) return;
          const out = await restoreBackup(name, addon.id, target.id);
          const when = fullTime(target.createdAt);
          // A cluster's restore is a request: its state shows on the add-on as the controller runs it.
          restoredText.current =
            out.status === "done" ? `Restored the backup of ${when}.` : `Requested the restore of ${when}.`;
        }}
        onClose={() => setTarget(null)}
        onDone={() => {
          setRestored(restoredText.current);
          setTarget(null);
          onRestore?.();
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
