import { useEffect, useState } from "react";
import { ApiError } from "../api/client.ts";
import { probeGitHubSignIn } from "../api/github-probe.ts";
import { ErrorAlert } from "../components/error-alert.tsx";
import { useDocumentTitle } from "../hooks.ts";

type GitHubState = "checking" | "available" | "missing";

/** An error the sign-in flow sent back here as ?error=CODE&detail=… (e.g. a refused GitHub consent). */
function errorFromQuery(): ApiError | null {
  const query = new URLSearchParams(location.search);
  const code = query.get("error");
  if (!code) return null;
  return new ApiError(
    401,
    code,
    query.get("detail") ?? query.get("error_description") ?? "Signing in did not work.",
  );
}

export function SignIn() {
  useDocumentTitle("Sign in");
  const [github, setGitHub] = useState<GitHubState>("checking");
  const [error] = useState(errorFromQuery);
  useEffect(() => {
    let live = true;
    void probeGitHubSignIn().then((state) => live && setGitHub(state));
    return () => {
      live = false;
    };
  }, []);

  return (
    <section className="page page-narrow sign-in">
      <h1 tabIndex={-1}>Sign in to Kli8nt</h1>
      <p className="lead">
        Deploy your GitHub repositories to their own URL, and watch every build and log line.
      </p>
      <ErrorAlert error={error} />
      <div className="card">
        <h2>With GitHub</h2>
        <p>
          Kli8nt asks GitHub for access to your repositories, so it can clone private ones and report deploys.
        </p>
        {github === "missing" ? (
          <p className="muted" id="github-missing">
            GitHub sign-in is not set up on this server yet. Use the sign-in link below, or ask the operator
            to configure a GitHub OAuth app.
          </p>
        ) : null}
        <a
          className={`button button-primary button-wide${github === "missing" ? " is-disabled" : ""}`}
          href="/auth/github"
          aria-disabled={github === "missing" ? "true" : undefined}
          aria-describedby={github === "missing" ? "github-missing" : undefined}
          onClick={(event) => github === "missing" && event.preventDefault()}
        >
          <GitHubMark /> Continue with GitHub
        </a>
      </div>
      <div className="card">
        <h2>With a sign-in link (single machine)</h2>
        <p>
          When Kli8nt runs on your own machine, <code>npm start</code> prints a one-time sign-in link in its
          terminal, such as <code>http://127.0.0.1:8080/auth/link/…</code>. Open it in this browser.
        </p>
        <ul className="plain-list">
          <li>It works once and expires after an hour.</li>
          <li>Used or expired? Stop Kli8nt and run npm start again to print a new one.</li>
          <li>Scripts and the CLI use an API token instead (Authorization: Bearer).</li>
        </ul>
      </div>
    </section>
  );
}

function GitHubMark() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" width="18" height="18" className="icon">
      <path
        fill="currentColor"
        d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"
      />
    </svg>
  );
}
