import { type ReactNode, useEffect, useRef, useState } from "react";
import { ErrorAlert } from "./error-alert.tsx";

interface ConfirmDialogProps {
  /** Open while there is something to confirm; the dialog follows it. */
  readonly open: boolean;
  /** Id of the title, which labels the dialog. */
  readonly titleId: string;
  readonly title: ReactNode;
  /** What the action does, shown under the title. */
  readonly children: ReactNode;
  /** The button's text, and its text while the action runs. */
  readonly label: string;
  readonly busyLabel: string;
  readonly tone: "primary" | "danger";
  /** Holds the button back until the user has done what the dialog asks (typed the app's name). */
  readonly disabled?: boolean;
  /** The action; a thrown error is shown in the dialog, which stays open. */
  readonly action: () => Promise<void>;
  /** How a failure is shown; ErrorAlert by default. */
  readonly renderError?: (error: unknown) => ReactNode;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

/**
 * A modal <dialog> to confirm one action: the browser traps focus in it, Escape closes it, focus returns to
 * the button that opened it. Busy while the action runs; its error, if any, stays in the dialog.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { open, titleId, title, children, label, busyLabel, tone, action, renderError, onClose, onDone } =
    props;
  const held = props.disabled ?? false;
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setError(null);
    if (open && !dialog.current?.open) dialog.current?.showModal();
    if (!open && dialog.current?.open) dialog.current.close();
  }, [open]);

  const confirm = async () => {
    if (!open || held) return;
    setBusy(true);
    try {
      await action();
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
      aria-labelledby={titleId}
      // The close event comes a task after Escape; by then a quick click may have opened it again.
      onClose={() => !dialog.current?.open && onClose()}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
      {renderError ? renderError(error) : <ErrorAlert error={error} focus />}
      <div className="button-row">
        <button
          type="button"
          className={`button button-${tone}`}
          disabled={busy || held}
          onClick={() => void confirm()}
        >
          {busy ? busyLabel : label}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
