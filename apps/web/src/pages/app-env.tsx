import { type FormEvent, useEffect, useState } from "react";
import { getEnv, putEnv } from "../api/endpoints.ts";
import { EnvEditor } from "../components/env-editor.tsx";
import { ErrorAlert } from "../components/error-alert.tsx";
import { apiProblems, type EnvRow, rowProblems, toRows, toVars } from "../env-rows.ts";
import { useLoad } from "../hooks.ts";
import { fieldErrors } from "../problem-help.ts";

export function AppEnv({ name }: { readonly name: string }) {
  const env = useLoad(`env:${name}`, () => getEnv(name));
  const [rows, setRows] = useState<EnvRow[] | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (env.data) setRows(toRows(env.data.vars));
  }, [env.data]);

  if (!rows) {
    return env.error ? (
      <ErrorAlert error={env.error} onRetry={env.reload} />
    ) : (
      <p role="status">Loading variables…</p>
    );
  }
  const problems = new Map([...rowProblems(rows), ...apiProblems(rows, fieldErrors(error))]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    setSaved(false);
    if (rowProblems(rows).size > 0) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await putEnv(name, toVars(rows));
      setRows(toRows(answer.vars));
      setSubmitted(false);
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void save(e)} noValidate>
      <ErrorAlert error={error} focus />
      <EnvEditor
        rows={rows}
        onChange={(r) => {
          setSaved(false);
          setRows(r);
        }}
        problems={problems}
        showProblems={submitted}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "Saving…" : "Save variables"}
        </button>
        <p role="status" className="save-status">
          {saved ? "Saved. They apply from the next deploy." : ""}
        </p>
      </div>
    </form>
  );
}
