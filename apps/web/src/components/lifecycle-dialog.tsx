import { useState } from "react";
import { type LifecycleAction, runLifecycle } from "../api/processes.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";

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
  const what = WHAT[target?.action ?? "restart"];
  return (
    <ConfirmDialog
      open={target !== null}
      titleId="lifecycle-title"
      title={
        <>
          {what.title} {name}?
        </>
      }
      label={what.button}
      busyLabel={what.busy}
      tone={target?.action === "stop" ? "danger" : "primary"}
      action={async () => {
        if (target) await runLifecycle(name, target.action);
      }}
      onClose={onClose}
      onDone={onDone}
    >
      <p>{what.body}</p>
    </ConfirmDialog>
  );
}
