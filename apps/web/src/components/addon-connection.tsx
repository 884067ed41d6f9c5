import { useState } from "react";
import { type Addon, type AddonConnection, revealConnection } from "../api/addons.ts";
import { ErrorAlert } from "./error-alert.tsx";

const MASK = "••••••••••••";

/**
 * The add-on's connection: host, port, user and database as listed, the password and DATABASE_URL masked
 * until the owner asks (only the app's owner can see the app at all; the api reveals it uncached). Hidden
 * again on demand and when the tab is left, so it does not linger on screen. Keyed by add-on id by its
 * parent, so a database deleted and made again never shows the old one's secret.
 */
export function AddonConnectionInfo({ name, addon }: { readonly name: string; readonly addon: Addon }) {
  const [shown, setShown] = useState<AddonConnection | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ready = addon.status === "ready" && addon.host !== null;
  // A cluster add-on answers where its pod runs instead: its password never leaves the cluster (ADR 0228).
  const server = shown && "password" in shown ? shown : null;
  const cluster = shown && "cluster" in shown ? shown.cluster : null;

  const reveal = async () => {
    setBusy(true);
    setError(null);
    try {
      setShown(await revealConnection(name, addon.id));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="addon-connection">
      <h4>Connection</h4>
      <dl className="facts">
        <div>
          <dt>Host · port</dt>
          <dd>{ready ? `${addon.host}:${addon.port}` : <span className="muted">once ready</span>}</dd>
        </div>
        <div>
          <dt>Database</dt>
          <dd className="truncate">{addon.database}</dd>
        </div>
        <div>
          <dt>User</dt>
          <dd className="truncate">{addon.user}</dd>
        </div>
        <div>
          <dt>Password</dt>
          <dd>
            {server ? (
              <code className="revealed">{server.password}</code>
            ) : cluster ? (
              <span className="muted">only in the cluster's Secret</span>
            ) : (
              <>
                <span aria-hidden="true">{MASK}</span>
                <span className="sr-only">hidden</span>
              </>
            )}
          </dd>
        </div>
      </dl>
      {server ? (
        <dl className="facts addon-url">
          <div>
            <dt>DATABASE_URL</dt>
            <dd>
              <code className="revealed">{server.url}</code>
            </dd>
          </div>
        </dl>
      ) : null}
      {cluster ? (
        <dl className="facts">
          <div>
            <dt>Pod</dt>
            <dd className="truncate">
              <code>
                {cluster.namespace}/{cluster.pod}
              </code>
            </dd>
          </div>
          <div>
            <dt>Session</dt>
            <dd>
              <code>kli8nt psql {name}</code>
            </dd>
          </div>
        </dl>
      ) : null}
      <ErrorAlert error={error} />
      {ready ? (
        <button
          type="button"
          className="button button-small"
          aria-pressed={shown !== null}
          disabled={busy}
          onClick={() => (shown ? setShown(null) : void reveal())}
        >
          {shown ? "Hide connection" : busy ? "Revealing…" : "Reveal connection"}
        </button>
      ) : null}
      <p className="muted small">
        The app gets {addon.env.join(", ")} in its environment; the next deploy or restart picks them up.
      </p>
    </div>
  );
}
