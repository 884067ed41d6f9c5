import { type FormEvent, useState } from "react";
import { type ApiToken, createToken, listTokens } from "../api/tokens.ts";
import { ErrorAlert } from "../components/error-alert.tsx";
import { Field } from "../components/field.tsx";
import { fullTime, timeAgo } from "../format.ts";
import { useDocumentTitle, useLoad } from "../hooks.ts";
import { fieldErrors } from "../problem-help.ts";
import { NewTokenValue, RevokeDialog } from "./tokens-dialogs.tsx";

const EXPIRY_CHOICES = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "366", label: "1 year" },
  { value: "never", label: "Never" },
] as const;

/** API tokens for scripts and the CLI (ADR 0165): list, create (value shown once), revoke with confirmation. */
export function Tokens() {
  useDocumentTitle("API tokens");
  const tokens = useLoad("tokens", listTokens);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  return (
    <div className="page-narrow">
      <div className="page-head">
        <h1 tabIndex={-1}>API tokens</h1>
      </div>
      <p className="lead">
        Tokens let scripts and the <code>kli8nt</code> CLI act as you. Send one as{" "}
        <code>Authorization: Bearer …</code>.
      </p>
      {created ? <NewTokenValue name={created.name} token={created.token} /> : null}
      <CreateToken
        onCreated={(c) => {
          setCreated(c);
          tokens.reload();
        }}
      />
      <h2>Your tokens</h2>
      {tokens.error ? <ErrorAlert error={tokens.error} onRetry={tokens.reload} /> : null}
      {tokens.data?.items.length === 0 ? <p className="empty">No tokens yet.</p> : null}
      <ul className="token-list">
        {tokens.data?.items.map((t) => (
          <li key={t.id} className="card token-row">
            <div>
              <strong>{t.name}</strong>
              <p className="muted">
                Created <time title={fullTime(t.createdAt)}>{timeAgo(t.createdAt)}</time> ·{" "}
                {t.lastUsedAt ? `last used ${timeAgo(t.lastUsedAt)}` : "never used"} ·{" "}
                {expiryText(t.expiresAt)}
              </p>
            </div>
            <button
              type="button"
              className="button button-small button-danger"
              onClick={() => setRevoking(t)}
            >
              Revoke<span className="sr-only"> {t.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <RevokeDialog
        target={revoking}
        onClose={() => setRevoking(null)}
        onDone={() => {
          setRevoking(null);
          tokens.reload();
        }}
      />
    </div>
  );
}

function expiryText(at: string | null): string {
  if (!at) return "never expires";
  return Date.parse(at) <= Date.now() ? `expired ${fullTime(at)}` : `expires ${fullTime(at)}`;
}

function CreateToken({ onCreated }: { readonly onCreated: (c: { name: string; token: string }) => void }) {
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState("90");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await createToken(name.trim(), expiry === "never" ? null : Number(expiry));
      onCreated({ name: answer.name, token: answer.token });
      setName("");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form card" onSubmit={(e) => void submit(e)} aria-labelledby="create-token-title">
      <h2 id="create-token-title">New token</h2>
      <ErrorAlert error={error} focus />
      <Field
        id="token-name"
        label="Name"
        hint="What uses it, e.g. ci or laptop"
        value={name}
        maxLength={64}
        required
        autoComplete="off"
        problem={fieldErrors(error).name}
        onChange={(e) => setName(e.target.value)}
      />
      <div className="field">
        <label htmlFor="token-expiry">Expires after</label>
        <select id="token-expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button button-primary" disabled={busy || name.trim() === ""}>
        {busy ? "Creating…" : "Create token"}
      </button>
    </form>
  );
}
