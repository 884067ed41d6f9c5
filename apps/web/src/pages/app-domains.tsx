import { type FormEvent, useState } from "react";
import { ApiError, isNotAvailable } from "../api/client.ts";
import { addDomain, type Domain, type DomainStatus, listDomains, removeDomain } from "../api/domains.ts";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorAlert, Unavailable } from "../components/error-alert.tsx";
import { Field } from "../components/field.tsx";
import { hostnameProblem } from "../domain-validation.ts";
import { useInterval, useLoad } from "../hooks.ts";

// The words say the state (never colour alone); the classes reuse the deploy badges' colours.
const BADGES: Readonly<Record<DomainStatus, { label: string; tone: string }>> = {
  pending: { label: "Pending", tone: "deploying" },
  active: { label: "Active", tone: "live" },
  error: { label: "Error", tone: "failed" },
};

/** Domains tab (issue 25): the app's custom domains, their certificate status and DNS step, add, remove. */
export function AppDomains({ name }: { readonly name: string }) {
  const list = useLoad(`domains:${name}`, () => listDomains(name));
  const [removing, setRemoving] = useState<Domain | null>(null);
  const items = list.data?.items ?? [];
  // A pending domain turns active (or error) on the server's own schedule: follow it.
  useInterval(
    list.reload,
    5000,
    items.some((d) => d.status === "pending"),
  );
  if (isNotAvailable(list.error)) return <Unavailable feature="Custom domains" />;
  return (
    <>
      <section aria-labelledby="domains-title">
        <h2 id="domains-title">Custom domains</h2>
        <p className="muted">
          Each domain is served over HTTP as soon as its DNS record points here, and over HTTPS once its
          certificate is issued.
        </p>
        <ErrorAlert error={list.error} onRetry={list.reload} />
        {list.data && items.length === 0 ? <p className="muted">No custom domains yet.</p> : null}
        {items.length > 0 ? (
          <table className="history domains">
            <thead>
              <tr>
                <th scope="col">Hostname</th>
                <th scope="col">Status</th>
                <th scope="col">What to do</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <DomainRow key={d.hostname} domain={d} onRemove={() => setRemoving(d)} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <AddDomainForm name={name} onAdded={list.reload} />
      <RemoveDomainDialog
        name={name}
        target={removing}
        onClose={() => setRemoving(null)}
        onDone={() => {
          setRemoving(null);
          list.reload();
        }}
      />
    </>
  );
}

function DomainRow({ domain: d, onRemove }: { readonly domain: Domain; readonly onRemove: () => void }) {
  const badge = BADGES[d.status];
  return (
    <tr>
      <td data-label="Hostname">
        {d.status === "active" ? (
          <a href={`https://${d.hostname}`} target="_blank" rel="noreferrer">
            {d.hostname}
          </a>
        ) : (
          <strong>{d.hostname}</strong>
        )}
      </td>
      <td data-label="Status">
        <span className={`badge badge-${badge.tone}`}>{badge.label}</span>
      </td>
      <td data-label="What to do" className="domain-detail">
        {d.detail}
      </td>
      <td className="actions">
        <button type="button" className="button button-small" onClick={onRemove}>
          Remove <span className="sr-only">{d.hostname}</span>
        </button>
      </td>
    </tr>
  );
}

function AddDomainForm({ name, onAdded }: { readonly name: string; readonly onAdded: () => void }) {
  const [hostname, setHostname] = useState("");
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const local = touched ? hostnameProblem(hostname) : null;
  // The api's refusal of this hostname (taken, reserved, invalid) belongs under the field as well.
  const server = error instanceof ApiError && error.code.startsWith("DOMAIN_") ? error.detail : undefined;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (hostnameProblem(hostname)) return;
    setBusy(true);
    setError(null);
    try {
      await addDomain(name, hostname.trim());
      setHostname("");
      setTouched(false);
      onAdded();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="form card"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="add-domain-title"
    >
      <h2 id="add-domain-title">Add a domain</h2>
      <ErrorAlert error={error} focus />
      <Field
        id="domain-hostname"
        label="Hostname"
        value={hostname}
        onChange={(e) => {
          setHostname(e.target.value);
          setError(null);
        }}
        onBlur={() => setTouched(hostname !== "")}
        placeholder="www.example.com"
        hint="Then create the DNS record the list shows for it. Wildcards (*.example.com) are for administrators."
        problem={local ?? server}
        autoComplete="off"
        spellCheck={false}
        inputMode="url"
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "Adding…" : "Add domain"}
        </button>
      </div>
    </form>
  );
}

interface RemoveProps {
  readonly name: string;
  readonly target: Domain | null;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

function RemoveDomainDialog({ name, target, onClose, onDone }: RemoveProps) {
  return (
    <ConfirmDialog
      open={target !== null}
      titleId="remove-domain-title"
      title={<>Remove {target?.hostname}?</>}
      label="Remove domain"
      busyLabel="Removing…"
      tone="danger"
      action={async () => {
        if (target) await removeDomain(name, target.hostname);
      }}
      onClose={onClose}
      onDone={onDone}
    >
      <p>The app stops answering on it and its certificate is deleted. Its DNS record is yours to remove.</p>
    </ConfirmDialog>
  );
}
