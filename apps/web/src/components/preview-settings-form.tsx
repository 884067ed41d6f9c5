import { type FormEvent, useEffect, useState } from "react";
import { type PreviewSettings, savePreviewSettings } from "../api/previews.ts";
import { fieldErrors } from "../problem-help.ts";
import { ErrorAlert } from "./error-alert.tsx";
import { Field } from "./field.tsx";

type Mode = PreviewSettings["mode"];

/** What the form holds: numbers as typed, checked on save. */
interface Draft {
  mode: Mode;
  label: string;
  max: string;
  allowForks: boolean;
  database: PreviewSettings["database"];
  logRetentionDays: string;
}

const draftOf = (s: PreviewSettings): Draft => ({
  mode: s.mode,
  label: s.label,
  max: String(s.max),
  allowForks: s.allowForks,
  database: s.database,
  logRetentionDays: String(s.logRetentionDays),
});

/** The API's bounds (ADR 0200, 0203), checked here first so a slip is named before a round trip. */
function intProblem(value: string, min: number, max: number): string | undefined {
  if (!/^\d+$/.test(value.trim())) return "Enter a whole number";
  const n = Number(value);
  return n < min || n > max ? `Between ${min} and ${max}` : undefined;
}

/** The Previews tab's settings (`previews` of `PATCH /api/apps/:name`). */
export function PreviewSettingsForm({
  name,
  settings,
  onSaved,
}: {
  readonly name: string;
  readonly settings: PreviewSettings;
  readonly onSaved: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // A reload that brings other stored values (a save, another tab) resets the form; the list's polling,
  // which brings the same ones, does not.
  const stored = JSON.stringify(draftOf(settings));
  useEffect(() => setDraft(JSON.parse(stored) as Draft), [stored]);
  const set = (patch: Partial<Draft>) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...patch }));
  };
  const server = fieldErrors(error);
  const problems = {
    label:
      draft.mode === "label" && !draft.label.trim() ? "Name the label to look for" : server["previews.label"],
    max: intProblem(draft.max, 1, 20) ?? server["previews.max"],
    logRetentionDays: intProblem(draft.logRetentionDays, 0, 90) ?? server["previews.logRetentionDays"],
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (problems.label || problems.max || problems.logRetentionDays) return;
    setBusy(true);
    try {
      await savePreviewSettings(name, {
        mode: draft.mode,
        ...(draft.label.trim() ? { label: draft.label.trim() } : {}),
        max: Number(draft.max),
        allowForks: draft.allowForks,
        database: draft.database,
        logRetentionDays: Number(draft.logRetentionDays),
      });
      setError(null);
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="form card preview-settings"
      onSubmit={(e) => void save(e)}
      noValidate
      aria-labelledby="preview-settings-title"
    >
      <h3 id="preview-settings-title">Preview settings</h3>
      <ErrorAlert error={error} focus />
      <fieldset className="field">
        <legend className="label">Deploy previews of</legend>
        {(
          [
            ["off", "No pull request (off)"],
            ["all", "Every pull request into the app's branch"],
            ["label", "Pull requests with a label"],
          ] as const
        ).map(([value, text]) => (
          <label className="check" key={value}>
            <input
              type="radio"
              name="preview-mode"
              value={value}
              checked={draft.mode === value}
              onChange={() => set({ mode: value })}
            />
            {text}
          </label>
        ))}
      </fieldset>
      <div className="field-pair">
        <Field
          id="pv-label"
          label="Label"
          value={draft.label}
          disabled={draft.mode !== "label"}
          problem={problems.label}
          onChange={(e) => set({ label: e.target.value })}
        />
        <Field
          id="pv-max"
          label="At most, at a time"
          inputMode="numeric"
          value={draft.max}
          hint="The oldest preview is torn down first (1–20)."
          problem={problems.max}
          onChange={(e) => set({ max: e.target.value })}
        />
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={draft.allowForks}
          onChange={(e) => set({ allowForks: e.target.checked })}
        />
        Deploy pull requests from forks too (without any secret variable)
      </label>
      <div className="field-pair">
        <div className="field">
          <label htmlFor="pv-database">Database of a preview</label>
          <select
            id="pv-database"
            value={draft.database}
            aria-describedby="pv-database-hint"
            onChange={(e) => set({ database: e.target.value as PreviewSettings["database"] })}
          >
            <option value="empty">Its own, empty</option>
            <option value="copy">Its own, a copy of the app's</option>
          </select>
          <p className="field-hint" id="pv-database-hint">
            With a PostgreSQL add-on; dropped when the preview is torn down.
          </p>
        </div>
        <Field
          id="pv-retention"
          label="Keep logs after close (days)"
          inputMode="numeric"
          value={draft.logRetentionDays}
          hint="0 removes them at teardown (0–90)."
          problem={problems.logRetentionDays}
          onChange={(e) => set({ logRetentionDays: e.target.value })}
        />
      </div>
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "Saving…" : "Save preview settings"}
        </button>
        <p role="status" className="save-status">
          {saved ? "Saved. They apply from the next pull request event." : ""}
        </p>
      </div>
    </form>
  );
}
