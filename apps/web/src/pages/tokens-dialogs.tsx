import { useState } from "react";
import { type ApiToken, revokeToken } from "../api/tokens.ts";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";

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
  return (
    <ConfirmDialog
      open={target !== null}
      titleId="revoke-title"
      title={<>Revoke “{target?.name}”?</>}
      label="Revoke token"
      busyLabel="Revoking…"
      tone="danger"
      action={async () => {
        if (target) await revokeToken(target.id);
      }}
      onClose={onClose}
      onDone={onDone}
    >
      <p>Scripts and CLIs using this token stop working at once. This cannot be undone.</p>
    </ConfirmDialog>
  );
}
