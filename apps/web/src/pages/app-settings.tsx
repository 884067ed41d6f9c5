import { type FormEvent, useState } from "react";
import { deleteApp, patchApp } from "../api/endpoints.ts";
import type { App } from "../api/types.ts";
import { BuildSettingsForm } from "../components/build-settings-form.tsx";
import { ErrorAlert } from "../components/error-alert.tsx";
import { Field } from "../components/field.tsx";
import { setFlash } from "../flash.ts";
import { fieldErrors } from "../problem-help.ts";
import { navigate } from "../router.tsx";
import { portProblem, repositoryUrlProblem } from "../validation.ts";

export function AppSettings({ app, onSaved }: { readonly app: App; readonly onSaved: () => void }) {
  return (
    <>
      <RepositorySettings app={app} onSaved={onSaved} />
      <BuildSettingsForm app={app} onSaved={onSaved} />
      <DeleteApp name={app.name} />
    </>
  );
}

function RepositorySettings({ app, onSaved }: { readonly app: App; readonly onSaved: () => void }) {
  const [url, setUrl] = useState(app.repository.url);
  const [branch, setBranch] = useState(app.repository.branch);
  const [rootDir, setRootDir] = useState(app.repository.rootDir);
  const [port, setPort] = useState(app.port === null ? "" : String(app.port));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const server = fieldErrors(error);
  const problems = {
    url: repositoryUrlProblem(url) ?? server["repository.url"],
    branch: server["repository.branch"],
    rootDir: server["repository.rootDir"],
    port: portProblem(port) ?? server.port,
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    if (problems.url || portProblem(port)) return;
    try {
      await patchApp(app.name, {
        repository: { url: url.trim(), branch: branch.trim(), rootDir: rootDir.trim() || "." },
        port: port.trim() ? Number(port) : null,
      });
      setError(null);
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <form className="form card" onSubmit={(e) => void save(e)} noValidate aria-labelledby="repo-settings">
      <h2 id="repo-settings">Repository and port</h2>
      <ErrorAlert error={error} focus />
      <Field
        id="s-url"
        label="Repository URL"
        value={url}
        problem={problems.url}
        onChange={(e) => setUrl(e.target.value)}
      />
      <div className="field-pair">
        <Field
          id="s-branch"
          label="Branch"
          value={branch}
          problem={problems.branch}
          onChange={(e) => setBranch(e.target.value)}
        />
        <Field
          id="s-root"
          label="Root directory"
          value={rootDir}
          problem={problems.rootDir}
          onChange={(e) => setRootDir(e.target.value)}
        />
      </div>
      <Field
        id="s-port"
        label="Port (optional)"
        value={port}
        inputMode="numeric"
        placeholder="detected"
        problem={problems.port}
        onChange={(e) => setPort(e.target.value)}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary">
          Save settings
        </button>
        <p role="status" className="save-status">
          {saved ? "Saved. They apply from the next deploy." : ""}
        </p>
      </div>
    </form>
  );
}

/** Deleting needs the name typed: the app, its deploys and its variables go for good. */
function DeleteApp({ name }: { readonly name: string }) {
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const confirmed = typed === name;

  const remove = async (event: FormEvent) => {
    event.preventDefault();
    if (!confirmed) return;
    setBusy(true);
    try {
      await deleteApp(name);
      setFlash(`Deleted ${name}.`);
      navigate("/", { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <form className="form card danger" onSubmit={(e) => void remove(e)} aria-labelledby="delete-title">
      <h2 id="delete-title">Delete this app</h2>
      <p>
        This stops <strong>{name}</strong>, frees its address, and deletes its deploy history, logs and
        variables. It cannot be undone.
      </p>
      <ErrorAlert error={error} focus />
      <Field
        id="delete-confirm"
        label={`Type ${name} to confirm`}
        value={typed}
        autoComplete="off"
        spellCheck={false}
        autoCapitalize="none"
        onChange={(e) => setTyped(e.target.value)}
      />
      <button type="submit" className="button button-danger" disabled={!confirmed || busy}>
        {busy ? "Deleting…" : `Delete ${name}`}
      </button>
    </form>
  );
}
