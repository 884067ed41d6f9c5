import { useState } from "react";
import type { Deployment } from "../api/types.ts";
import { fullTime } from "../format.ts";

const LABELS: Readonly<Record<string, string>> = {
  building: "Building",
  released: "Release command",
  deploying: "Deploying",
  available: "Available",
  degraded: "Degraded",
};

/**
 * The conditions the controllers recorded on a deployment (building, deploying, available, degraded…), each
 * with its status and reason, folded so the history stays one line per deploy.
 */
export function DeploymentConditions({ deployment: d }: { readonly deployment: Deployment }) {
  const conditions = d.conditions ?? [];
  // Rendered once opened: folded text would still match the history's searches ("Live", "Failed").
  const [open, setOpen] = useState(false);
  if (conditions.length === 0) return null;
  return (
    <details className="conditions" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Conditions <span className="sr-only">of #{d.number}</span>
      </summary>
      {open ? <ConditionList deployment={d} /> : null}
    </details>
  );
}

function ConditionList({ deployment: d }: { readonly deployment: Deployment }) {
  return (
    <ul>
      {(d.conditions ?? []).map((c) => (
        <li key={c.type} className={`condition condition-${c.status}`}>
          <span className="condition-type">{LABELS[c.type] ?? c.type}</span>{" "}
          <span className="condition-status">{c.status === "unknown" ? "pending" : c.status}</span>
          {c.reason ? <strong> · {c.reason}</strong> : null}
          {c.message ? <span className="condition-message"> {c.message}</span> : null}
          <time dateTime={c.lastTransitionTime} title={fullTime(c.lastTransitionTime)} className="sr-only">
            {fullTime(c.lastTransitionTime)}
          </time>
        </li>
      ))}
    </ul>
  );
}
