import { useRef, useState } from "react";
import { type Addon, createPostgres, deleteAddon, listAddons } from "../api/addons.ts";
import { isNotAvailable } from "../api/client.ts";
import { AddonBackups, megabytes, pending } from "../components/addon-backups.tsx";
import { AddonConnectionInfo } from "../components/addon-connection.tsx";
import { FinalDumps } from "../components/addon-dumps.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorAlert, Unavailable } from "../components/error-alert.tsx";
import { fullTime, timeAgo } from "../format.ts";
import { useInterval, useLoad } from "../hooks.ts";

const STATUS: Readonly<Record<Addon["status"], { label: string; tone: string }>> = {
  provisioning: { label: "Provisioning", tone: "deploying" },
  ready: { label: "Ready", tone: "live" },
  error: { label: "Error", tone: "failed" },
  deleting: { label: "Deleting", tone: "deploying" },
};

/** Add-ons tab (issue 25, ADR 0225): managed PostgreSQL with status, size, connection, backups, delete. */
export function AppAddons({ name }: { readonly name: string }) {
  const list = useLoad(`addons:${name}`, () => listAddons(name));
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<unknown>(null);
  const [target, setTarget] = useState<Addon | null>(null);
  const [removed, setRemoved] = useState<{ id: string; path: string | null } | null>(null);
  const items = list.data?.items ?? [];
  // Follows a database being provisioned, deleted (after its final dump) or restored until it settles.
  useInterval(
    list.reload,
    2000,
    items.some((a) => a.status === "provisioning" || a.status === "deleting" || pending(a.restore?.status)),
  );
  if (isNotAvailable(list.error)) return <Unavailable feature="Add-ons" />;

  const create = async (fromDump?: string) => {
    setCreating(true);
    setCreateError(null);
    setRemoved(null);
    try {
      await createPostgres(name, fromDump);
      list.reload();
    } catch (e) {
      setCreateError(e);
    } finally {
      setCreating(false);
    }
  };

  return (
    <section aria-labelledby="addons-title">
      <div className="section-head">
        <h2 id="addons-title">Add-ons</h2>
        {list.data && !items.some((a) => a.type === "postgres") ? (
          <button
            type="button"
            className="button button-primary"
            disabled={creating}
            onClick={() => void create()}
          >
            {creating ? "Creating…" : "Create PostgreSQL database"}
          </button>
        ) : null}
      </div>
      <ErrorAlert error={createError} focus />
      <ErrorAlert error={list.error} onRetry={list.reload} />
      {removed ? (
        <p className="alert alert-success" role="status">
          {removed.path ? (
            <>
              Deleted. A final dump was kept at <code>{removed.path}</code>.
            </>
          ) : (
            <>The database is deleted once its final dump is taken; the dump stays under Final dumps.</>
          )}
        </p>
      ) : null}
      {list.loading && !list.data ? <p role="status">Loading add-ons…</p> : null}
      {list.data && items.length === 0 ? (
        <p className="muted">
          No add-ons. A PostgreSQL database of its own puts DATABASE_URL and the PG* variables into the app's
          environment.
        </p>
      ) : null}
      {items.map((a) => (
        <AddonCard key={a.id} name={name} addon={a} onDelete={() => setTarget(a)} onChange={list.reload} />
      ))}
      {list.data ? (
        <FinalDumps
          name={name}
          // Reloaded after a delete, so a new dump shows at once.
          version={`${removed?.id ?? ""}:${items.map((a) => a.status).join()}`}
          canRestore={!items.some((a) => a.type === "postgres") && !creating}
          onRestore={(id) => create(id)}
        />
      ) : null}
      <DeleteDialog
        name={name}
        target={target}
        onClose={() => setTarget(null)}
        onDone={(dump) => {
          setTarget(null);
          setRemoved(dump);
          list.reload();
        }}
      />
    </section>
  );
}

interface CardProps {
  readonly name: string;
  readonly addon: Addon;
  readonly onDelete: () => void;
  readonly onChange: () => void;
}

function AddonCard({ name, addon, onDelete, onChange }: CardProps) {
  const status = STATUS[addon.status];
  return (
    <article className="addon card" aria-labelledby={`addon-${addon.id}`}>
      <div className="section-head">
        <h3 id={`addon-${addon.id}`}>PostgreSQL</h3>
        <span className={`badge badge-${status.tone}`}>{status.label}</span>
      </div>
      <dl className="facts">
        <div>
          <dt>Size</dt>
          <dd>{megabytes(addon.sizeBytes)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={addon.createdAt} title={fullTime(addon.createdAt)}>
              {timeAgo(addon.createdAt)}
            </time>
          </dd>
        </div>
        <div>
          <dt>ID</dt>
          <dd className="truncate">
            <code>{addon.id}</code>
          </dd>
        </div>
      </dl>
      {(addon.status === "error" || addon.status === "deleting") && addon.detail ? (
        <p className={`alert ${addon.status === "error" ? "alert-error" : "alert-info"}`} role="status">
          {addon.detail}
        </p>
      ) : null}
      <AddonConnectionInfo name={name} addon={addon} />
      <AddonBackups name={name} addon={addon} onRestore={onChange} />
      {addon.status === "deleting" ? null : (
        <div className="button-row">
          <button type="button" className="button button-danger button-small" onClick={onDelete}>
            Delete database
          </button>
        </div>
      )}
    </article>
  );
}

interface DeleteProps {
  readonly name: string;
  readonly target: Addon | null;
  readonly onClose: () => void;
  readonly onDone: (dump: { id: string; path: string | null }) => void;
}

/** Deleting a database needs the app's name typed, as the api needs `{"confirm":"<app>"}`. */
function DeleteDialog({ name, target, onClose, onDone }: DeleteProps) {
  const [typed, setTyped] = useState("");
  // Read in onDone, right after the action: a ref, since state set in the action is not rendered yet.
  const dump = useRef<{ id: string; path: string | null }>({ id: "", path: null });
  return (
    <ConfirmDialog
      open={target !== null}
      titleId="delete-addon-title"
      title="Delete this PostgreSQL database?"
      label="Delete database"
      busyLabel="Dumping and deleting…"
      tone="danger"
      disabled={typed !== name}
      action={async () => {
        if (target) dump.current = (await deleteAddon(name, target.id, typed)).dump;
      }}
      onClose={() => {
        setTyped("");
        onClose();
      }}
      onDone={() => {
        setTyped("");
        onDone(dump.current);
      }}
    >
      <p>
        The database <code>{target?.database}</code> and its role are dropped, and DATABASE_URL and the PG*
        variables leave the app's environment. A final dump is kept on the platform: Final dumps can restore
        it into a new database.
      </p>
      <label className="field">
        <span className="label">
          Type <strong>{name}</strong> to confirm
        </span>
        <input
          type="text"
          value={typed}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setTyped(e.target.value)}
        />
      </label>
    </ConfirmDialog>
  );
}
