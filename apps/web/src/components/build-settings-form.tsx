import { type FormEvent, useState } from "react";
import { patchApp } from "../api/endpoints.ts";
import type { App, BuildSettings } from "../api/types.ts";
import { fieldErrors } from "../problem-help.ts";
import { ErrorAlert } from "./error-alert.tsx";
import { Field } from "./field.tsx";

/** The settings that override the build plan (ADR 0156): blank means "the plan decides". */
const FIELDS: readonly { key: keyof BuildSettings; label: string; placeholder: string; hint: string }[] = [
  {
    key: "installCommand",
    label: "Install command",
    placeholder: "detected",
    hint: "Replaces the plan's install step.",
  },
  {
    key: "buildCommand",
    label: "Build command",
    placeholder: "detected",
    hint: "Replaces the plan's build step.",
  },
  { key: "startCommand", label: "Start command", placeholder: "detected", hint: "What the container runs." },
  {
    key: "dockerfilePath",
    label: "Dockerfile path",
    placeholder: "Dockerfile or Containerfile at the root",
    hint: "Relative to the root directory; used unchanged instead of the plan.",
  },
  {
    key: "buildTarget",
    label: "Build target stage",
    placeholder: "the last stage",
    hint: "A stage of your Dockerfile.",
  },
  {
    key: "healthCheckPath",
    label: "Health-check path",
    placeholder: "/",
    hint: "The path a new release must answer before it takes traffic.",
  },
];

type Values = Record<keyof BuildSettings, string>;

const valuesOf = (settings: BuildSettings): Values =>
  Object.fromEntries(FIELDS.map((f) => [f.key, settings[f.key] ?? ""])) as Values;

export function BuildSettingsForm({ app, onSaved }: { readonly app: App; readonly onSaved: () => void }) {
  const [values, setValues] = useState<Values>(valuesOf(app.buildSettings ?? {}));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const server = fieldErrors(error);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    // A blank field clears that setting (null), so the plan decides again.
    const buildSettings = Object.fromEntries(FIELDS.map((f) => [f.key, values[f.key].trim() || null]));
    try {
      await patchApp(app.name, { buildSettings });
      setError(null);
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <form className="form card" onSubmit={(e) => void save(e)} noValidate aria-labelledby="build-settings">
      <h2 id="build-settings">Build and start</h2>
      <p className="muted">Leave a field blank to use what the build plan detects.</p>
      <ErrorAlert error={error} focus />
      {FIELDS.map((f) => (
        <Field
          key={f.key}
          id={`s-${f.key}`}
          label={f.label}
          value={values[f.key]}
          placeholder={f.placeholder}
          hint={f.hint}
          spellCheck={false}
          autoComplete="off"
          problem={server[`buildSettings.${f.key}`]}
          onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
        />
      ))}
      <div className="button-row">
        <button type="submit" className="button button-primary">
          Save build settings
        </button>
        <p role="status" className="save-status">
          {saved ? "Saved. They apply from the next deploy." : ""}
        </p>
      </div>
    </form>
  );
}
