import { Field } from "./field.tsx";

interface Props {
  /** The repository's branches when the server could list them; otherwise a text field. */
  readonly branches: readonly string[] | null;
  readonly value: string;
  readonly problem: string | undefined;
  readonly onChange: (branch: string) => void;
}

export function BranchField({ branches, value, problem, onChange }: Props) {
  if (!branches) {
    return (
      <Field
        id="branch"
        label="Branch"
        value={value}
        spellCheck={false}
        autoComplete="off"
        placeholder="default branch"
        hint="Blank: the repository's own default branch, looked up when the app is created."
        problem={problem}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor="branch">Branch</label>
      <select id="branch" value={value} onChange={(e) => onChange(e.target.value)}>
        {branches.map((b) => (
          <option key={b}>{b}</option>
        ))}
      </select>
    </div>
  );
}
