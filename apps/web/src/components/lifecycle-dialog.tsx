import { useEffect, useRef, useState } from "react";
import { type LifecycleAction, runLifecycle } from "../api/processes.ts";
import { ErrorAlert } from "./error-alert.tsx";

const WHAT: Record<LifecycleAction, { title: string; body: string; button: string; busy: string }> = {
  restart: {
    title: "Restart",
    body: "Every instance is replaced, one at a time, from the same release: web keeps answering. Nothing is rebuilt.",
    button: "Restart",
    busy: "Restarting…",
  },
  stop: {
    title: "Stop",
    body: "Every process stops and the URL answers a “stopped” page until you start it again. The formation, variables and releases are kept.",
    button: "Stop app",
    busy: "Stopping…",
  },
  start: {
    title: "Start",
    body: "The processes come back with their last counts and sizes, from the current release.",
    button: "Start app",
    busy: "Starting…",
  },
};

interface Props {
  readonly name: string;
  readonly stopped: boolean;
  readonly onDone: () => void;
}

/** Restart and Stop (or Start when stopped), each behind a modal confirmation. */
export function LifecycleButtons({ name, stopped, onDone }: Props) {
  // A new object per click, so a click always (re)opens the dialog.
  const [target, setTarget] = useState<{ readonly action: LifecycleAction } | null>(null);
  return (
    <div className="button-row lifecycle">
      {stopped ? (
        <button type="button" className="button button-small" onClick={() => setTarget({ action: "start" })}>
          Start
        </button>
      ) : (
        <>
          <button
            type="button"
            className="button button-small"
            onClick={() => setTarget({ action: "restart" })}
          >
            Restart
          </button>
          <button
            type="button"
            className="button button-small button-danger"
            onClick={() => setTarget({ action: "stop" })}
          >
            Stop
          </button>
        </>
      )}
      <LifecycleDialog
        name={name}
        target={target}
        onClose={() => setTarget(null)}
        onDone={() => {
          setTarget(null);
          onDone();
        }}
      />
    </div>
  );
}

interface DialogProps {
  readonly name: string;
  readonly target: { readonly action: LifecycleAction } | null;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

function LifecycleDialog({ name, target, onClose, onDone }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setError(null);
    if (target && !dialog.current?.open) dialog.current?.showModal();
    if (!target && dialog.current?.open) dialog.current.close();
  }, [target]);
  const what = WHAT[target?.action ?? "restart"];

  const confirm = async () => {
    if (!target) return;
    setBusy(true);
    try {
      await runLifecycle(name, target.action);
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
      aria-labelledby="lifecycle-title"
      onClose={() => !dialog.current?.open && onClose()}
    >
      <h2 id="lifecycle-title">
        {what.title} {name}?
      </h2>
      <p>{what.body}</p>
      <ErrorAlert error={error} focus />
      <div className="button-row">
        <button
          type="button"
          className={`button ${target?.action === "stop" ? "button-danger" : "button-primary"}`}
          disabled={busy}
          onClick={() => void confirm()}
        >
          {busy ? what.busy : what.button}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
