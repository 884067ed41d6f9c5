import { useState } from "react";
import { isNotAvailable } from "../api/client.ts";
import {
  type ClosedPreview,
  listPreviews,
  type Preview,
  type PreviewSettings,
  tearDownPreview,
} from "../api/previews.ts";
import { isActive } from "../api/types.ts";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorAlert, Unavailable } from "../components/error-alert.tsx";
import { PreviewLog } from "../components/preview-log.tsx";
import { PreviewSettingsForm } from "../components/preview-settings-form.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { fullTime, shortSha, timeAgo } from "../format.ts";
import { useInterval, useLoad } from "../hooks.ts";
import { Link, useLocation } from "../router.tsx";

function describe(s: PreviewSettings): string {
  if (s.mode === "off") return "Previews are off: choose which pull requests to deploy below.";
  const which = s.mode === "label" ? `pull requests labelled “${s.label}”` : "every pull request";
  return `Deploys ${which} into the app's branch, at most ${s.max} at a time${s.allowForks ? ", forks too (without secrets)" : ""}.`;
}

/** Previews tab (ADR 0200): the app's open pull request previews, their state, URL, logs, tear down now. */
export function AppPreviews({ name }: { readonly name: string }) {
  const list = useLoad(`previews:${name}`, () => listPreviews(name));
  const [target, setTarget] = useState<Preview | null>(null);
  const items = list.data?.items ?? [];
  const closed = list.data?.closed ?? [];
  // ?logs=<n>: a closed preview's log under the list (its app, and so its Logs tab, is gone).
  const asked = new URLSearchParams(useLocation().split("?")[1] ?? "").get("logs") ?? "";
  const logs = /^[1-9]\d{0,9}$/.test(asked) ? Number(asked) : null;
  const tab = `/apps/${encodeURIComponent(name)}/previews`;
  // Follows a preview being built or deployed until it settles.
  useInterval(
    list.reload,
    3000,
    items.some((p) => isActive(p.state)),
  );
  if (isNotAvailable(list.error)) return <Unavailable feature="Previews" />;
  return (
    <section aria-labelledby="previews-title">
      <h2 id="previews-title">Pull request previews</h2>
      {list.data ? <p className="muted">{describe(list.data.settings)}</p> : null}
      <ErrorAlert error={list.error} onRetry={list.reload} />
      {list.data && items.length === 0 ? <p className="muted">No open previews.</p> : null}
      {items.length > 0 ? (
        <table className="history previews">
          <thead>
            <tr>
              <th scope="col">Pull request</th>
              <th scope="col">State</th>
              <th scope="col">URL</th>
              <th scope="col">Head</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <PreviewRow key={p.number} preview={p} onTearDown={() => setTarget(p)} />
            ))}
          </tbody>
        </table>
      ) : null}
      <ClosedPreviews closed={closed} tab={tab} />
      {logs ? (
        <PreviewLog name={name} number={logs} closed={closed.find((c) => c.number === logs)} closeTo={tab} />
      ) : null}
      {list.data ? (
        <PreviewSettingsForm name={name} settings={list.data.settings} onSaved={list.reload} />
      ) : null}
      <TearDownDialog
        name={name}
        target={target}
        onClose={() => setTarget(null)}
        onDone={() => {
          setTarget(null);
          list.reload();
        }}
      />
    </section>
  );
}

function PreviewRow({
  preview: p,
  onTearDown,
}: {
  readonly preview: Preview;
  readonly onTearDown: () => void;
}) {
  return (
    <tr>
      <td data-label="Pull request">
        <a href={p.pullRequest.url} target="_blank" rel="noreferrer">
          #{p.number} {p.pullRequest.title}
        </a>
        {p.fork ? <span className="muted"> (fork)</span> : null}
        <br />
        <small className="muted">
          opened{" "}
          <time dateTime={p.createdAt} title={fullTime(p.createdAt)}>
            {timeAgo(p.createdAt)}
          </time>
        </small>
      </td>
      <td data-label="State">
        <StatusBadge state={p.state} />
      </td>
      <td data-label="URL">
        {p.state === "live" ? (
          <a href={p.url} target="_blank" rel="noreferrer">
            {p.url}
          </a>
        ) : (
          <span className="muted">{p.url}</span>
        )}
      </td>
      <td data-label="Head">
        <code>{p.head.ref}</code> <code title={p.head.sha}>{shortSha(p.head.sha)}</code>
      </td>
      <td className="actions">
        <Link className="button button-small button-quiet" to={`/apps/${encodeURIComponent(p.app)}/logs`}>
          Logs <span className="sr-only">of #{p.number}</span>
        </Link>
        <button type="button" className="button button-small" onClick={onTearDown}>
          Tear down now <span className="sr-only">#{p.number}</span>
        </button>
      </td>
    </tr>
  );
}

/** Previews torn down whose logs the retention still keeps (ADR 0203). */
function ClosedPreviews({
  closed,
  tab,
}: {
  readonly closed: readonly ClosedPreview[];
  readonly tab: string;
}) {
  if (closed.length === 0) return null;
  return (
    <>
      <h3 id="closed-previews-title">Recently closed</h3>
      <ul className="closed-previews" aria-labelledby="closed-previews-title">
        {closed.map((c) => (
          <li key={c.app}>
            #{c.number} {c.title}{" "}
            <small className="muted">
              closed{" "}
              <time dateTime={c.closedAt} title={fullTime(c.closedAt)}>
                {timeAgo(c.closedAt)}
              </time>
              , logs kept until <time dateTime={c.logsUntil}>{fullTime(c.logsUntil)}</time>
            </small>{" "}
            <Link className="button button-small button-quiet" to={`${tab}?logs=${c.number}`}>
              Logs <span className="sr-only">of closed #{c.number}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}

interface DialogProps {
  readonly name: string;
  readonly target: Preview | null;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

function TearDownDialog({ name, target, onClose, onDone }: DialogProps) {
  return (
    <ConfirmDialog
      open={target !== null}
      titleId="teardown-title"
      title={<>Tear down the preview of #{target?.number}?</>}
      label="Tear down"
      busyLabel="Tearing down…"
      tone="danger"
      action={async () => {
        if (target) await tearDownPreview(name, target.number);
      }}
      onClose={onClose}
      onDone={onDone}
    >
      <p>
        Its containers, route and own database go, and the pull request shows it inactive; its logs are kept
        for the retention below. A new push to the pull request brings it back.
      </p>
    </ConfirmDialog>
  );
}
