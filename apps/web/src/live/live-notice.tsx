import { reconnectLiveNow, useLiveStatus } from "./live-updates.ts";

/**
 * Says when statuses are not live, and what happens meanwhile. Silent while connected: the region is always
 * in the page so a screen reader announces the change when it appears.
 */
export function LiveNotice() {
  const status = useLiveStatus();
  return (
    <div className="live-notice-region" role="status">
      {status.state === "reconnecting" ? (
        <p className="live-notice">
          <span>{interrupted(status.retryInMs)}</span>
          <button type="button" className="button button-small" onClick={reconnectLiveNow}>
            Reconnect now
          </button>
        </p>
      ) : null}
      {status.state === "closed" ? (
        <p className="live-notice">
          <span>Live updates stopped: {status.reason}.</span>
          <button type="button" className="button button-small" onClick={() => location.reload()}>
            Reload the page
          </button>
        </p>
      ) : null}
    </div>
  );
}

function interrupted(retryInMs: number): string {
  const when = retryInMs > 0 ? `reconnecting in ${Math.ceil(retryInMs / 1000)}\u00a0s` : "reconnecting…";
  return `Live updates interrupted; ${when}. Statuses refresh every few seconds meanwhile.`;
}
