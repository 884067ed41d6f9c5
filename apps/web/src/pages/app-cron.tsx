import { type FormEvent, useState } from "react";
import { isNotAvailable } from "../api/client.ts";
import { addCron, type CronJob, type CronRun, deleteCron, listCron, listCronRuns } from "../api/processes.ts";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorAlert, Unavailable } from "../components/error-alert.tsx";
import { Field } from "../components/field.tsx";
import { fullTime, timeAgo } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { fieldErrors } from "../problem-help.ts";

/** Cron tab: the app's scheduled commands, a form to add one, delete with confirmation, and run history. */
export function AppCron({ name }: { readonly name: string }) {
  const jobs = useLoad(`cron:${name}`, () => listCron(name));
  const [removing, setRemoving] = useState<{ readonly job: CronJob } | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  if (isNotAvailable(jobs.error)) return <Unavailable feature="Cron" />;
  const items = jobs.data?.items ?? [];
  return (
    <>
      <section aria-labelledby="cron-title">
        <h2 id="cron-title">Scheduled commands</h2>
        <ErrorAlert error={jobs.error} onRetry={jobs.reload} />
        {jobs.data && items.length === 0 ? <p className="muted">No cron jobs yet.</p> : null}
        {items.length > 0 ? (
          <table className="history cron-jobs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Schedule (UTC)</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((job) => (
                <tr key={job.name}>
                  <td data-label="Name">
                    <strong>{job.name}</strong>
                    <code className="process-command truncate" title={job.command}>
                      {job.command}
                    </code>
                  </td>
                  <td data-label="Schedule">
                    <code>{job.schedule}</code>
                  </td>
                  <td data-label="Next run">{when(job.nextRunAt)}</td>
                  <td data-label="Last run">{job.lastRun ? lastRunText(job.lastRun) : "never ran"}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      aria-expanded={shown === job.name}
                      onClick={() => setShown(shown === job.name ? null : job.name)}
                    >
                      Runs <span className="sr-only">of {job.name}</span>
                    </button>
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => setRemoving({ job })}
                    >
                      Delete <span className="sr-only">{job.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {shown ? <CronRuns key={shown} name={name} job={shown} /> : null}
      <AddCronForm name={name} onAdded={jobs.reload} />
      <DeleteCronDialog
        name={name}
        target={removing}
        onClose={() => setRemoving(null)}
        onDone={() => {
          setRemoving(null);
          setShown(null);
          jobs.reload();
        }}
      />
    </>
  );
}

function when(at: string | null) {
  if (!at) return "never";
  return (
    <time dateTime={at} title={fullTime(at)}>
      {fullTime(at)}
    </time>
  );
}

function CronRuns({ name, job }: { readonly name: string; readonly job: string }) {
  const runs = useLoad(`cron-runs:${name}:${job}`, () => listCronRuns(name, job));
  const items = runs.data?.items ?? [];
  return (
    <section aria-labelledby="runs-title" className="card">
      <h2 id="runs-title">Runs of {job}</h2>
      <ErrorAlert error={runs.error} onRetry={runs.reload} />
      {runs.data && items.length === 0 ? <p className="muted">No runs yet.</p> : null}
      {items.length > 0 ? (
        <table className="history">
          <thead>
            <tr>
              <th scope="col">Scheduled</th>
              <th scope="col">State</th>
              <th scope="col">Exit</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}>
                <td data-label="Scheduled">{when(r.scheduledAt)}</td>
                <td data-label="State">
                  <span className={`badge badge-run-${r.state}`}>{r.state}</span>
                </td>
                <td data-label="Exit">{r.exitCode ?? "–"}</td>
                <td data-label="Reason">{r.reason ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function AddCronForm({ name, onAdded }: { readonly name: string; readonly onAdded: () => void }) {
  const [job, setJob] = useState({ name: "", schedule: "", command: "" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problems = fieldErrors(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await addCron(name, job);
      setJob({ name: "", schedule: "", command: "" });
      onAdded();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const set = (key: keyof typeof job) => (e: { target: { value: string } }) =>
    setJob((j) => ({ ...j, [key]: e.target.value }));
  return (
    <form className="form card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="add-cron-title">
      <h2 id="add-cron-title">Add a cron job</h2>
      <ErrorAlert error={error} focus />
      <Field id="cron-name" label="Name" value={job.name} onChange={set("name")} problem={problems.name} />
      <Field
        id="cron-schedule"
        label="Schedule"
        value={job.schedule}
        onChange={set("schedule")}
        placeholder="0 3 * * *"
        hint="Five fields in UTC: minute hour day-of-month month day-of-week."
        problem={problems.schedule}
        spellCheck={false}
      />
      <Field
        id="cron-command"
        label="Command"
        value={job.command}
        onChange={set("command")}
        hint="Runs with sh -c in a container of the current release, with the app's variables."
        problem={problems.command}
        spellCheck={false}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "Adding…" : "Add cron job"}
        </button>
      </div>
    </form>
  );
}

interface DeleteProps {
  readonly name: string;
  readonly target: { readonly job: CronJob } | null;
  readonly onClose: () => void;
  readonly onDone: () => void;
}

function DeleteCronDialog({ name, target, onClose, onDone }: DeleteProps) {
  return (
    <ConfirmDialog
      open={target !== null}
      titleId="delete-cron-title"
      title={<>Delete “{target?.job.name}”?</>}
      label="Delete cron job"
      busyLabel="Deleting…"
      tone="danger"
      action={async () => {
        if (target) await deleteCron(name, target.job.name);
      }}
      onClose={onClose}
      onDone={onDone}
    >
      <p>It stops running and its history goes with it. A run in progress finishes.</p>
    </ConfirmDialog>
  );
}

/** "failed, exit 3 · 1 hour ago": the list says how the last run ended without opening its runs. */
function lastRunText(run: CronRun): string {
  const exit = run.exitCode === null ? "" : `, exit ${run.exitCode}`;
  return `${run.state}${exit} · ${timeAgo(run.scheduledAt)}`;
}
