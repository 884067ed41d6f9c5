import { useEffect, useRef, useState } from "react";
import { type ApiToken, revokeToken } from "../api/tokens.ts";
import { ErrorAlert } from "../components/error-alert.tsx";

/** The new token's value, shown this once with a copy button: only its hash is kept. */
export function NewTokenValue({ name, token }: { readonly name: string; readonly token: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(token);
    setCopied(true);
  };
  return (
    <div className="alert alert-success" role="status">
      <p className="alert-title">Token “{name}” created. Copy it now: it is not shown again.</p>
      <code className="alert-code" id="new-token">
        {token}
      </code>
      <div className="button-row">
        <button type="button" className="button button-small" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy token"}
        </button>
      </div>
    </div>
  );
}

interface RevokeProps {
  readonly target: ApiToken | null;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

/** A modal <dialog> (focus trapped, Escape closes) to confirm a revocation, which takes effect at once. */
export function RevokeDialog({ target, onClose, onDone }: RevokeProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setError(null);
    if (target && !dialog.current?.open) dialog.current?.showModal();
    if (!target && dialog.current?.open) dialog.current.close();
  }, [target]);

  const confirm = async () => {
    if (!target) return;
    setBusy(true);
    try {
      await revokeToken(target.id);
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="revoke-title"
      onClose={() => !dialog.current?.open && onClose()}
    >
      <h2 id="revoke-title">Revoke “{target?.name}”?</h2>
      <p>Scripts and CLIs using this token stop working at once. This cannot be undone.</p>
      <ErrorAlert error={error} focus />
      <div className="button-row">
        <button type="button" className="button button-danger" disabled={busy} onClick={() => void confirm()}>
          {busy ? "Revoking…" : "Revoke token"}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
