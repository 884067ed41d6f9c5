import type { EnvRow } from "../env-rows.ts";
import { newRow } from "../env-rows.ts";
import { Field } from "./field.tsx";

interface Props {
  readonly rows: readonly EnvRow[];
  readonly onChange: (rows: EnvRow[]) => void;
  readonly problems: ReadonlyMap<string, string>;
  /** Shown problems only after a first submit, so typing is not met with red. */
  readonly showProblems: boolean;
}

/** Variables and secrets. Secret values are write-only: a saved one shows as hidden and can be replaced. */
export function EnvEditor({ rows, onChange, problems, showProblems }: Props) {
  const update = (id: number, patch: Partial<EnvRow>) =>
    onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const remove = (id: number) => onChange(rows.filter((r) => r.id !== id));

  return (
    <fieldset className="env-editor">
      <legend>Environment variables</legend>
      <p className="muted">
        Available to the running app, and to the build when marked "also at build". Mark passwords and tokens
        as secret: their values are encrypted, masked in logs, never shown again, and reach a build only as
        build secrets.
      </p>
      {rows.length === 0 ? <p className="muted">No variables.</p> : null}
      <ul className="env-rows">
        {rows.map((row, index) => (
          <EnvRowItem
            key={row.id}
            row={row}
            n={index + 1}
            keyProblem={showProblems ? problems.get(`${row.id}:key`) : undefined}
            valueProblem={showProblems ? problems.get(`${row.id}:value`) : undefined}
            update={(patch) => update(row.id, patch)}
            remove={() => remove(row.id)}
          />
        ))}
      </ul>
      <div className="button-row">
        <button type="button" className="button button-small" onClick={() => onChange([...rows, newRow()])}>
          Add variable
        </button>
        <button
          type="button"
          className="button button-small"
          onClick={() => onChange([...rows, newRow(true)])}
        >
          Add secret
        </button>
      </div>
    </fieldset>
  );
}

interface RowProps {
  readonly row: EnvRow;
  /** 1-based position, in labels ("Name 2") so each control has a distinct accessible name. */
  readonly n: number;
  readonly keyProblem: string | undefined;
  readonly valueProblem: string | undefined;
  readonly update: (patch: Partial<EnvRow>) => void;
  readonly remove: () => void;
}

function EnvRowItem({ row, n, keyProblem, valueProblem, update, remove }: RowProps) {
  return (
    <li className="env-row">
      <Field
        id={`env-key-${row.id}`}
        label={`Name ${n}`}
        value={row.key}
        spellCheck={false}
        autoCapitalize="characters"
        autoComplete="off"
        placeholder="DATABASE_URL"
        problem={keyProblem}
        onChange={(e) => update({ key: e.target.value })}
      />
      {row.keep ? (
        <KeptSecret row={row} n={n} onReplace={() => update({ keep: false, value: "" })} />
      ) : (
        <Field
          id={`env-value-${row.id}`}
          label={`Value ${n}`}
          value={row.value}
          type={row.secret ? "password" : "text"}
          spellCheck={false}
          autoComplete={row.secret ? "new-password" : "off"}
          problem={valueProblem}
          onChange={(e) => update({ value: e.target.value })}
        />
      )}
      <div className="env-row-actions">
        <label className="check">
          <input
            type="checkbox"
            checked={row.secret}
            // A kept secret turned plain needs a value: the stored one can never be read back.
            onChange={(e) => update({ secret: e.target.checked, keep: row.keep && e.target.checked })}
          />
          Secret
        </label>
        <label className="check" title="Passed to the build: a build arg, or a build secret when secret">
          <input type="checkbox" checked={row.build} onChange={(e) => update({ build: e.target.checked })} />
          Also at build
        </label>
        <button
          type="button"
          className="button button-small button-quiet"
          aria-label={`Remove variable ${row.key || n}`}
          onClick={remove}
        >
          Remove
        </button>
      </div>
    </li>
  );
}

/** A saved secret: its value is never sent back, so there is nothing to show but the way to replace it. */
function KeptSecret({
  row,
  n,
  onReplace,
}: {
  readonly row: EnvRow;
  readonly n: number;
  readonly onReplace: () => void;
}) {
  return (
    <div className="field">
      <span className="label">Value {n}</span>
      <div className="secret-kept">
        <span className="secret-mask">Hidden secret value</span>
        <button type="button" className="button button-small" onClick={onReplace}>
          Replace <span className="sr-only">the value of {row.key}</span>
        </button>
      </div>
    </div>
  );
}
