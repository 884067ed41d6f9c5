import { type FormEvent, useCallback, useEffect, useState } from "react";
import { ApiError } from "../api/client.ts";
import { listApps } from "../api/endpoints.ts";
import { BranchField } from "../components/branch-field.tsx";
import { EnvEditor } from "../components/env-editor.tsx";
import { ErrorAlert } from "../components/error-alert.tsx";
import { Field } from "../components/field.tsx";
import { type PickedRepo, RepoPicker, useBranches } from "../components/repo-picker.tsx";
import { type Source, SourceSwitch } from "../components/source-switch.tsx";
import { apiProblems, type EnvRow, rowProblems, toVars } from "../env-rows.ts";
import { useDocumentTitle, useLoad } from "../hooks.ts";
import { fieldErrors } from "../problem-help.ts";
import { Link, navigate } from "../router.tsx";
import { appNameProblem, previewUrl, suggestAppName, templateFrom } from "../validation.ts";
import { formProblems, runCreateSteps } from "./new-app-steps.ts";

export function NewApp() {
  useDocumentTitle("New app");
  const [source, setSource] = useState<Source>("github");
  const [githubMissing, setGitHubMissing] = useState(false);
  const [picked, setPicked] = useState<PickedRepo | null>(null);
  const [url, setUrl] = useState("");
  const [branch, setBranch] = useState("");
  const [rootDir, setRootDir] = useState(".");
  const [name, setName] = useState("");
  const [nameEdited, setNameEdited] = useState(false);
  const [port, setPort] = useState("");
  const [rows, setRows] = useState<EnvRow[]>([]);
  const [deploy, setDeploy] = useState(true);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refused, setRefused] = useState(0);
  const [taken, setTaken] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const template = useLoad("url-template", async () => templateFrom((await listApps(undefined, 1)).items[0]));
  const branches = useBranches(source === "github" ? (picked?.fullName ?? null) : null);

  const onUnavailable = useCallback(() => {
    setGitHubMissing(true);
    setSource("url");
  }, []);
  const pick = (repo: PickedRepo) => {
    setPicked(repo);
    setUrl(repo.url);
    setBranch(repo.defaultBranch);
    if (!nameEdited) setName(suggestAppName(repo.fullName));
  };
  const typeUrl = (value: string) => {
    setUrl(value);
    if (!nameEdited) setName(suggestAppName(value));
  };

  const server = fieldErrors(error);
  const envProblems = new Map([...rowProblems(rows), ...apiProblems(rows, server)]);
  const { local, problems } = formProblems(
    { needsPick: source === "github" && !picked, url, branch, name, taken, port },
    server,
  );
  const invalid = Object.values(local).some(Boolean) || rowProblems(rows).size > 0;
  const show = (problem: string | undefined | null) => (submitted ? (problem ?? undefined) : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (invalid) {
      setRefused((n) => n + 1);
      return;
    }
    setError(null);
    try {
      const draft = { name, url, branch, rootDir, port, vars: toVars(rows), deploy };
      await runCreateSteps(draft, created === name, setBusy, () => setCreated(name));
      navigate(`/apps/${encodeURIComponent(name)}`);
    } catch (e) {
      if (codeOf(e) === "APP_NAME_TAKEN") setTaken(name);
      setError(e);
      setBusy(null);
    }
  };

  // After a refused submit has rendered its problems, take the user to the first one.
  useEffect(() => {
    if (refused > 0) document.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [refused]);

  const preview = previewUrl(template.data ?? null, name || "your-app");
  return (
    <section className="page page-narrow">
      <h1 tabIndex={-1}>New app</h1>
      <form
        className="form"
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-busy={busy ? "true" : undefined}
      >
        {created && error ? (
          <p className="alert alert-success" role="status">
            {created} was created; the step below did not finish. Fix it and submit again, or open{" "}
            <Link to={`/apps/${encodeURIComponent(created)}`}>{created}</Link> to finish there.
          </p>
        ) : null}
        <ErrorAlert error={error} focus />
        <fieldset>
          <legend>Repository</legend>
          <SourceSwitch source={source} githubMissing={githubMissing} onChange={setSource} />
          {source === "github" ? (
            <>
              <RepoPicker picked={picked} onPick={pick} onUnavailable={onUnavailable} />
              {show(problems.url) ? <p className="field-problem">{problems.url}</p> : null}
            </>
          ) : (
            <Field
              id="repo-url"
              label="Repository URL"
              value={url}
              inputMode="url"
              spellCheck={false}
              autoComplete="off"
              placeholder="https://github.com/acme/shop"
              hint="The https address of a Git repository."
              problem={show(problems.url)}
              onChange={(e) => typeUrl(e.target.value)}
            />
          )}
          <div className="field-pair">
            <BranchField
              branches={branches.branches}
              value={branch}
              problem={show(problems.branch)}
              onChange={setBranch}
            />
            <Field
              id="root-dir"
              label="Root directory"
              value={rootDir}
              spellCheck={false}
              autoComplete="off"
              hint="Where the app lives in the repository; . is the top."
              problem={show(problems.rootDir)}
              onChange={(e) => setRootDir(e.target.value)}
            />
          </div>
          <ErrorAlert error={branches.error} />
        </fieldset>
        <fieldset>
          <legend>Name and address</legend>
          <Field
            id="app-name"
            label="App name"
            value={name}
            spellCheck={false}
            autoComplete="off"
            autoCapitalize="none"
            maxLength={63}
            hint={
              <>
                Lowercase letters, digits and hyphens; it becomes the subdomain:{" "}
                <strong className="url-preview">{preview ?? `${name || "your-app"}.<apps domain>`}</strong>
              </>
            }
            problem={name || submitted ? (appNameProblem(name) ?? show(problems.name)) : undefined}
            onChange={(e) => {
              setNameEdited(true);
              setName(e.target.value);
            }}
          />
          <Field
            id="port"
            label="Port (optional)"
            value={port}
            inputMode="numeric"
            placeholder="detected"
            hint="Only if your app listens on a port Kli8nt cannot detect."
            problem={show(problems.port)}
            onChange={(e) => setPort(e.target.value)}
          />
        </fieldset>
        <EnvEditor rows={rows} onChange={setRows} problems={envProblems} showProblems={submitted} />
        <label className="check">
          <input type="checkbox" checked={deploy} onChange={(e) => setDeploy(e.target.checked)} />
          Deploy as soon as the app is created
        </label>
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy !== null}>
            {busy ?? "Create app"}
          </button>
        </div>
      </form>
    </section>
  );
}

function codeOf(error: unknown): string {
  return error instanceof ApiError ? error.code : "";
}
