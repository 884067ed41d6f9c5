export type Source = "github" | "url";

interface Props {
  readonly source: Source;
  /** The server has no GitHub picker: only the URL is offered, and the user is told why. */
  readonly githubMissing: boolean;
  readonly onChange: (source: Source) => void;
}

export function SourceSwitch({ source, githubMissing, onChange }: Props) {
  return (
    <>
      <fieldset className="segmented">
        <legend className="sr-only">Repository source</legend>
        <button
          type="button"
          aria-pressed={source === "github"}
          disabled={githubMissing}
          onClick={() => onChange("github")}
        >
          From GitHub
        </button>
        <button type="button" aria-pressed={source === "url"} onClick={() => onChange("url")}>
          Git URL
        </button>
      </fieldset>
      {githubMissing ? (
        <p className="muted" role="status">
          The GitHub repository picker is not available on this server yet: paste the repository URL.
        </p>
      ) : null}
    </>
  );
}
