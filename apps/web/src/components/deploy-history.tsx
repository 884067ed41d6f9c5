import { useState } from "react";
import { isNotAvailable } from "../api/client.ts";
import { listDeployments, rollback } from "../api/endpoints.ts";
import { type Deployment, type DeploymentPage, isActive } from "../api/types.ts";
import { duration, fullTime, shortSha, timeAgo } from "../format.ts";
import type { Loaded } from "../hooks.ts";
import { Link } from "../router.tsx";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { DeploymentConditions } from "./deployment-conditions.tsx";
import { ErrorAlert, Unavailable } from "./error-alert.tsx";
import { ReleaseStep } from "./release-step.tsx";
import { HealthBadge, StatusBadge } from "./status-badge.tsx";

interface Props {
  readonly name: string;
  /** The newest page, loaded by the app page (it also tells which release is live). */
  readonly first: Loaded<DeploymentPage>;
  readonly onChanged: () => void;
}

export function DeployHistory({ name, first, onChanged }: Props) {
  const [older, setOlder] = useState<{ items: Deployment[]; next: number | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  // A new object per click, so a click always (re)opens the dialog even for the same deployment.
  const [target, setTarget] = useState<{ readonly deployment: Deployment } | null>(null);
  const items = [...(first.data?.items ?? []), ...(older?.items ?? [])];
  const next = older ? older.next : (first.data?.nextBefore ?? null);

  const loadOlder = async () => {
    if (next === null) return;
    try {
      const page = await listDeployments(name, next);
      setOlder((o) => ({ items: [...(o?.items ?? []), ...page.items], next: page.nextBefore }));
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Deploy history</h2>
      <ErrorAlert error={first.error} onRetry={first.reload} />
      {first.data && items.length === 0 ? (
        <p className="muted">No deploys yet. Press Deploy now to build the app.</p>
      ) : null}
      {items.length > 0 ? (
        <table className="history">
          <thead>
            <tr>
              <th scope="col">Deploy</th>
              <th scope="col">State</th>
              <th scope="col">Commit</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <DeploymentRow
                key={d.id}
                deployment={d}
                logs={`/apps/${encodeURIComponent(name)}/logs?deployment=${encodeURIComponent(d.id)}`}
                onRollback={() => setTarget({ deployment: d })}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      <ErrorAlert error={error} />
      {next !== null ? (
        <button type="button" className="button button-small" onClick={() => void loadOlder()}>
          Older deploys
        </button>
      ) : null}
      <RollbackDialog
        name={name}
        target={target}
        onClose={() => setTarget(null)}
        onDone={() => {
          setTarget(null);
          onChanged();
        }}
      />
    </section>
  );
}

interface RowProps {
  readonly deployment: Deployment;
  /** The viewer's address for this deploy's lines. */
  readonly logs: string;
  readonly onRollback: () => void;
}

function DeploymentRow({ deployment: d, logs, onRollback }: RowProps) {
  const end = d.finishedAt
    ? Date.parse(d.finishedAt)
    : isActive(d.state)
      ? Date.now()
      : Date.parse(d.updatedAt);
  return (
    <>
      <tr className={d.reason ? "has-reason" : undefined}>
        <td data-label="Deploy">
          <strong>#{d.number}</strong> <span className="muted">{d.author ?? d.trigger}</span>
        </td>
        <td data-label="State">
          <StatusBadge state={d.state} /> {d.state === "live" ? <HealthBadge deployment={d} /> : null}
          <ReleaseStep deployment={d} logs={logs} />
          <DeploymentConditions deployment={d} />
        </td>
        <td data-label="Commit">
          <code title={d.commitSha ?? "not resolved yet"}>{shortSha(d.commitSha)}</code>{" "}
          <span className="muted">{d.ref}</span>
          {d.commitMessage ? <span className="commit-message truncate">{d.commitMessage}</span> : null}
        </td>
        <td data-label="Started">
          <time dateTime={d.createdAt} title={fullTime(d.createdAt)}>
            {timeAgo(d.createdAt)}
          </time>
        </td>
        <td data-label="Duration">
          {duration(end - Date.parse(d.createdAt))}
          {isActive(d.state) ? <span className="muted"> so far</span> : null}
        </td>
        <td className="actions">
          <Link to={logs} className="button button-small button-quiet">
            Logs <span className="sr-only">of #{d.number}</span>
          </Link>
          {d.state === "superseded" ? (
            <button type="button" className="button button-small" onClick={onRollback}>
              Roll back to #{d.number}
            </button>
          ) : null}
        </td>
      </tr>
      {d.reason ? (
        <tr className="reason-row">
          <td colSpan={6}>
            <span className="reason">
              <strong>Why it {d.state === "failed" ? "failed" : "stopped"}:</strong> {d.reason}
            </span>
          </td>
        </tr>
      ) : null}
    </>
  );
}

interface DialogProps {
  readonly name: string;
  readonly target: { readonly deployment: Deployment } | null;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

/** A modal <dialog>: the browser traps focus in it, Escape closes it, focus returns to the button. */
function RollbackDialog({ name, target: opened, onClose, onDone }: DialogProps) {
  const target = opened?.deployment ?? null;
  return (
    <ConfirmDialog
      open={opened !== null}
      titleId="rollback-title"
      title={<>Roll back to #{target?.number}?</>}
      label="Roll back"
      busyLabel="Rolling back…"
      tone="primary"
      action={async () => {
        if (target) await rollback(name, target.id);
      }}
      renderError={(error) =>
        isNotAvailable(error) ? <Unavailable feature="Rollback" /> : <ErrorAlert error={error} focus />
      }
      onClose={onClose}
      onDone={onDone}
    >
      <p>
        Traffic moves to the release built from <code>{shortSha(target?.commitSha ?? null)}</code> (
        {target?.ref}). Nothing is rebuilt; the current release stays in the history.
      </p>
    </ConfirmDialog>
  );
}
