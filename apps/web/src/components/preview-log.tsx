import { type ClosedPreview, readPreviewLogs } from "../api/previews.ts";
import { fullTime } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { Link } from "../router.tsx";
import { ErrorAlert } from "./error-alert.tsx";

const TAIL = 1000;

interface Props {
  readonly name: string;
  readonly number: number;
  /** Set for a torn-down preview: says until when its lines are kept. */
  readonly closed: ClosedPreview | undefined;
  /** Where "Close" goes: the Previews tab without the log. */
  readonly closeTo: string;
}

/**
 * A preview's last log lines, read once (ADR 0203). Read-only: a closed preview's log no longer grows, and
 * the live viewer streams by app name, which a closed preview no longer has.
 */
export function PreviewLog({ name, number, closed, closeTo }: Props) {
  const page = useLoad(`preview-logs:${name}:${number}`, () => readPreviewLogs(name, number, TAIL));
  const records = page.data?.records ?? [];
  return (
    <section className="preview-log" aria-labelledby="preview-log-title">
      <h3 id="preview-log-title">Logs of #{number}</h3>
      <p className="muted">
        {closed ? (
          <>
            Closed; kept until <time dateTime={closed.logsUntil}>{fullTime(closed.logsUntil)}</time>.{" "}
          </>
        ) : null}
        The last {TAIL} lines at most.{" "}
        <button type="button" className="button button-small" onClick={page.reload}>
          Reload
        </button>{" "}
        <Link className="button button-small button-quiet" to={closeTo}>
          Close <span className="sr-only">the logs of #{number}</span>
        </Link>
      </p>
      <ErrorAlert error={page.error} onRetry={page.reload} />
      {page.data ? (
        <div
          className="log-box"
          role="log"
          aria-label={`Log lines of #${number}`}
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
          tabIndex={0}
        >
          {records.length === 0 ? <p className="muted">No log lines.</p> : null}
          {records.map((l) => (
            <div key={l.offset} className={`log-line log-${l.stream}`}>
              <time className="log-time" dateTime={l.timestamp} title={fullTime(l.timestamp)}>
                {clock(l.timestamp)}
              </time>
              <span className="log-phase">{l.phase}</span>
              <span className="log-text">{l.line}</span>
            </div>
          ))}
        </div>
      ) : null}
    </section>
  );
}

function clock(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? "" : new Date(time).toLocaleTimeString(undefined, { hour12: false });
}
