import type { EnvRow } from "../env-rows.ts";
import { newRow } from "../env-rows.ts";

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
        Available to the build and the running app. Mark passwords and tokens as secret: their values are
        encrypted, masked in logs, and never shown again.
      </p>
      {rows.length === 0 ? <p className="muted">No variables.</p> : null}
      <ul className="env-rows">
        {rows.map((row, index) => {
          const keyProblem = showProblems ? problems.get(`${row.id}:key`) : undefined;
          const valueProblem = showProblems ? problems.get(`${row.id}:value`) : undefined;
          const n = index + 1;
          return (
            <li key={row.id} className="env-row">
              <div className="field">
                <label htmlFor={`env-key-${row.id}`}>Name {n}</label>
                <input
                  id={`env-key-${row.id}`}
                  value={row.key}
                  spellCheck={false}
                  autoCapitalize="characters"
                  autoComplete="off"
                  placeholder="DATABASE_URL"
                  aria-invalid={keyProblem ? "true" : undefined}
                  aria-describedby={keyProblem ? `env-key-${row.id}-problem` : undefined}
                  onChange={(e) => update(row.id, { key: e.target.value })}
                />
                {keyProblem ? (
                  <p className="field-problem" id={`env-key-${row.id}-problem`}>
                    {keyProblem}
                  </p>
                ) : null}
              </div>
              <div className="field">
                {row.keep ? (
                  <span className="label">Value {n}</span>
                ) : (
                  <label htmlFor={`env-value-${row.id}`}>Value {n}</label>
                )}
                {row.keep ? (
                  <div className="secret-kept">
                    <span className="secret-mask">Hidden secret value</span>
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => update(row.id, { keep: false, value: "" })}
                    >
                      Replace <span className="sr-only">the value of {row.key}</span>
                    </button>
                  </div>
                ) : (
                  <input
                    id={`env-value-${row.id}`}
                    value={row.value}
                    type={row.secret ? "password" : "text"}
                    spellCheck={false}
                    autoComplete={row.secret ? "new-password" : "off"}
                    aria-invalid={valueProblem ? "true" : undefined}
                    onChange={(e) => update(row.id, { value: e.target.value })}
                  />
                )}
                {valueProblem ? <p className="field-problem">{valueProblem}</p> : null}
              </div>
              <div className="env-row-actions">
                <label className="check">
                  <input
                    type="checkbox"
                    checked={row.secret}
                    // A kept secret turned plain needs a value: the stored one can never be read back.
                    onChange={(e) =>
                      update(row.id, { secret: e.target.checked, keep: row.keep && e.target.checked })
                    }
                  />
                  Secret
                </label>
                <button
                  type="button"
                  className="button button-small button-quiet"
                  aria-label={`Remove variable ${row.key || n}`}
                  onClick={() => remove(row.id)}
                >
                  Remove
                </button>
              </div>
            </li>
          );
        })}
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
