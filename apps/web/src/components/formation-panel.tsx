import { type FormEvent, useEffect, useState } from "react";
import { isNotAvailable } from "../api/client.ts";
import { type Formation, getFormation, type ProcessChange, patchFormation } from "../api/processes.ts";
import { useLoad } from "../hooks.ts";
import { fieldErrors } from "../problem-help.ts";
import { ErrorAlert, Unavailable } from "./error-alert.tsx";
import { LifecycleButtons } from "./lifecycle-dialog.tsx";

type Row = { readonly type: string; count: string; memory: string; cpu: string };

const toRows = (f: Formation): Row[] =>
  f.processes.map((p) => ({ type: p.type, count: String(p.count), memory: p.memory, cpu: p.cpu }));

/** Only what the form changed goes to the api: an untouched type keeps following the platform's defaults. */
function changesOf(rows: readonly Row[], saved: Formation): ProcessChange[] {
  return rows.flatMap((row) => {
    const was = saved.processes.find((p) => p.type === row.type);
    const change: { type: string; count?: number; memory?: string; cpu?: string } = { type: row.type };
    if (String(was?.count) !== row.count) change.count = Number(row.count);
    if (was?.memory !== row.memory) change.memory = row.memory.trim();
    if (was?.cpu !== row.cpu) change.cpu = row.cpu.trim();
    return Object.keys(change).length > 1 ? [change] : [];
  });
}

/** Process types of the current release with their counts and sizes, editable; plus restart/stop/start. */
export function FormationPanel({
  name,
  onChanged,
}: {
  readonly name: string;
  readonly onChanged: () => void;
}) {
  const formation = useLoad(`formation:${name}`, () => getFormation(name));
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [problems, setProblems] = useState<Problems>({});
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (formation.data) setRows(toRows(formation.data));
  }, [formation.data]);

  if (isNotAvailable(formation.error)) return <Unavailable feature="Scaling" />;
  const saved = formation.data;
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!rows || !saved) return;
    const changes = changesOf(rows, saved);
    if (changes.length === 0) return setStatus("Nothing changed.");
    setBusy(true);
    setError(null);
    setProblems({});
    try {
      const next = await patchFormation(name, changes);
      formation.update(() => next);
      setStatus("Saved. Instances change now, without a rebuild.");
    } catch (e) {
      setError(e);
      setProblems(problemsOf(e, changes));
    } finally {
      setBusy(false);
    }
  };
  const edit = (type: string, field: "count" | "memory" | "cpu", value: string) => {
    setStatus("");
    setRows((rs) => rs?.map((r) => (r.type === type ? { ...r, [field]: value } : r)) ?? null);
  };

  return (
    <section aria-labelledby="formation-title" className="card formation">
      <div className="section-head">
        <h2 id="formation-title" className="section-title">
          Processes
        </h2>
        <LifecycleButtons
          name={name}
          stopped={saved?.stopped ?? false}
          onDone={() => {
            formation.reload();
            onChanged();
          }}
        />
      </div>
      {saved?.stopped ? (
        <p className="alert alert-warning" role="status">
          Stopped: nothing runs and the URL answers a “stopped” page. Start brings back these counts.
        </p>
      ) : null}
      <ErrorAlert error={formation.error} onRetry={formation.reload} />
      {rows ? (
        <form onSubmit={(e) => void save(e)} noValidate>
          <table className="formation-table">
            <thead>
              <tr>
                <th scope="col" className="formation-cell">
                  Type
                </th>
                <th scope="col" className="formation-cell">
                  Instances
                </th>
                <th scope="col" className="formation-cell">
                  Memory
                </th>
                <th scope="col" className="formation-cell">
                  CPU
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <FormationRow
                  key={r.type}
                  row={r}
                  command={commandOf(saved, r.type)}
                  problems={problems}
                  onEdit={edit}
                />
              ))}
            </tbody>
          </table>
          <ErrorAlert error={error} focus />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? "Saving…" : "Save formation"}
            </button>
            <p role="status" className="save-status">
              {status}
            </p>
          </div>
        </form>
      ) : null}
    </section>
  );
}

/** Field problems by `<type>.<field>`: the api's paths index the changes sent, not the rows shown. */
type Problems = Readonly<Record<string, string>>;

function problemsOf(error: unknown, changes: readonly ProcessChange[]): Problems {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fieldErrors(error))) {
    const match = /^processes\.(\d+)\.(count|memory|cpu)$/.exec(path);
    const type = match ? changes[Number(match[1])]?.type : undefined;
    if (match && type) out[`${type}.${match[2]}`] = message;
  }
  return out;
}

const commandOf = (f: Formation | undefined, type: string) =>
  f?.processes.find((p) => p.type === type)?.command ?? null;

interface RowProps {
  readonly row: Row;
  readonly command: string | null;
  readonly problems: Problems;
  readonly onEdit: (type: string, field: "count" | "memory" | "cpu", value: string) => void;
}

function FormationRow({ row, command, problems, onEdit }: RowProps) {
  const id = (field: string) => `formation-${row.type}-${field}`;
  const invalid = (field: string) =>
    problems[`${row.type}.${field}`]
      ? { "aria-invalid": true, "aria-describedby": id(`${field}-problem`) }
      : {};
  const problem = (field: string) => {
    const message = problems[`${row.type}.${field}`];
    return message ? (
      <span id={id(`${field}-problem`)} className="field-problem">
        {message}
      </span>
    ) : null;
  };
  return (
    <tr>
      <th scope="row" className="formation-cell">
        <strong>{row.type}</strong>
        <code className="process-command truncate" title={command ?? "the image's own command"}>
          {command ?? "image CMD"}
        </code>
      </th>
      <td className="formation-cell" data-label="Instances">
        <input
          id={id("count")}
          aria-label={`${row.type} instances`}
          {...invalid("count")}
          type="number"
          min={0}
          max={1000}
          inputMode="numeric"
          value={row.count}
          onChange={(e) => onEdit(row.type, "count", e.target.value)}
        />
        {problem("count")}
      </td>
      <td className="formation-cell" data-label="Memory">
        <input
          id={id("memory")}
          aria-label={`${row.type} memory`}
          {...invalid("memory")}
          value={row.memory}
          spellCheck={false}
          onChange={(e) => onEdit(row.type, "memory", e.target.value)}
        />
        {problem("memory")}
      </td>
      <td className="formation-cell" data-label="CPU">
        <input
          id={id("cpu")}
          aria-label={`${row.type} CPU`}
          {...invalid("cpu")}
          value={row.cpu}
          spellCheck={false}
          onChange={(e) => onEdit(row.type, "cpu", e.target.value)}
        />
        {problem("cpu")}
      </td>
    </tr>
  );
}
