import { useEffect, useState } from "react";
import { ApiError, isNotAvailable } from "../api/client.ts";
import { listBranches, searchRepos } from "../api/endpoints.ts";
import { probeGitHubSignIn } from "../api/github-probe.ts";
import type { GitHubRepo } from "../api/types.ts";
import { ErrorAlert } from "./error-alert.tsx";

export interface PickedRepo {
  readonly fullName: string;
  readonly url: string;
  readonly defaultBranch: string;
}

interface Props {
  readonly picked: PickedRepo | null;
  readonly onPick: (repo: PickedRepo) => void;
  /** The GitHub routes are missing on this server: the form falls back to a URL. */
  readonly onUnavailable: () => void;
}

type Results = { readonly items: GitHubRepo[]; readonly nextPage: number | null };

/** Searches the connected GitHub account's repositories, private ones marked. */
export function RepoPicker({ picked, onPick, onUnavailable }: Props) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<Results | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    // Debounced: one request per pause in typing, not per key.
    const timer = setTimeout(() => {
      setLoading(true);
      searchRepos(query, 1, abort.signal).then(
        (page) => {
          setResults(page);
          setError(null);
          setLoading(false);
        },
        (e: unknown) => {
          if (abort.signal.aborted) return;
          setLoading(false);
          if (isNotAvailable(e) || codeOf(e) === "GITHUB_NOT_CONFIGURED") return onUnavailable();
          // "Connect GitHub" only helps where the server has a GitHub OAuth app to connect with.
          if (!NEEDS_CONNECT.has(codeOf(e))) return setError(e);
          void probeGitHubSignIn().then((state) => (state === "missing" ? onUnavailable() : setError(e)));
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query, onUnavailable]);

  const more = async () => {
    if (!results?.nextPage) return;
    try {
      const page = await searchRepos(query, results.nextPage);
      setResults({ items: [...results.items, ...page.items], nextPage: page.nextPage });
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="repo-picker">
      <div className="field">
        <label htmlFor="repo-search">Search your repositories</label>
        <input
          id="repo-search"
          type="search"
          value={query}
          placeholder="shop"
          autoComplete="off"
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {NEEDS_CONNECT.has(codeOf(error)) ? <ConnectGitHub error={error} /> : <ErrorAlert error={error} />}
      <p className="sr-only" role="status">
        {loading ? "Searching…" : results ? `${results.items.length} repositories` : ""}
      </p>
      {results && results.items.length === 0 ? (
        <p className="muted">No repository matches “{query}”.</p>
      ) : null}
      {results && results.items.length > 0 ? (
        <fieldset className="repo-list">
          <legend className="sr-only">Repository</legend>
          {results.items.map((repo) => (
            <label key={repo.fullName} className="repo-option">
              <input
                type="radio"
                name="repository"
                checked={picked?.fullName === repo.fullName}
                onChange={() =>
                  onPick({ fullName: repo.fullName, url: repo.cloneUrl, defaultBranch: repo.defaultBranch })
                }
              />
              <span className="repo-name">{repo.fullName}</span>
              <span className={`badge ${repo.private ? "badge-private" : "badge-public"}`}>
                {repo.private ? "Private" : "Public"}
              </span>
              {repo.description ? <span className="repo-description muted">{repo.description}</span> : null}
            </label>
          ))}
        </fieldset>
      ) : null}
      {results?.nextPage ? (
        <button type="button" className="button button-small" onClick={() => void more()}>
          More repositories
        </button>
      ) : null}
    </div>
  );
}

const NEEDS_CONNECT = new Set(["GITHUB_NOT_CONNECTED", "GITHUB_RECONNECT_REQUIRED"]);

function codeOf(error: unknown): string {
  return error instanceof ApiError ? error.code : "";
}

function ConnectGitHub({ error }: { readonly error: unknown }) {
  const again = codeOf(error) === "GITHUB_RECONNECT_REQUIRED";
  return (
    <div className="alert alert-info" role="status">
      <p className="alert-title">
        {again ? "Reconnect GitHub to list your repositories" : "Connect GitHub to list your repositories"}
      </p>
      <p>{error instanceof ApiError ? error.detail : ""}</p>
      <p className="button-row">
        <a className="button button-primary button-small" href="/auth/github">
          {again ? "Reconnect GitHub" : "Connect GitHub"}
        </a>
        <span className="muted">or choose Git URL above.</span>
      </p>
    </div>
  );
}

/** The picked repository's branches, or null when the server cannot list them (then a text field is shown). */
export function useBranches(fullName: string | null): { branches: string[] | null; error: unknown } {
  const [state, setState] = useState<{ branches: string[] | null; error: unknown }>({
    branches: null,
    error: null,
  });
  useEffect(() => {
    setState({ branches: null, error: null });
    if (!fullName) return;
    const abort = new AbortController();
    listBranches(fullName, abort.signal).then(
      (branches) => setState({ branches, error: null }),
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ branches: null, error: isNotAvailable(error) ? null : error });
      },
    );
    return () => abort.abort();
  }, [fullName]);
  return state;
}
