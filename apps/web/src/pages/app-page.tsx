import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client.ts";
import { deployNow, getApp, listDeployments } from "../api/endpoints.ts";
import { type App, type Deployment, type DeploymentPage, isActive } from "../api/types.ts";
import { DeployHistory } from "../components/deploy-history.tsx";
import { ErrorAlert } from "../components/error-alert.tsx";
import { FormationPanel } from "../components/formation-panel.tsx";
import { LogViewer } from "../components/log-viewer.tsx";
import { PlanPanel } from "../components/plan-panel.tsx";
import { HealthBadge, StatusBadge } from "../components/status-badge.tsx";
import { type Loaded, useDocumentTitle, useInterval, useLoad } from "../hooks.ts";
import { withApp, withDeployment, withDeploymentInPage } from "../live/apply-event.ts";
import { type PlatformEvent, useLiveEvents, useLiveStatus } from "../live/live-updates.ts";
import { type AppTab, Link } from "../router.tsx";
import { AppAddons } from "./app-addons.tsx";
import { AppCron } from "./app-cron.tsx";
import { AppDomains } from "./app-domains.tsx";
import { AppEnv } from "./app-env.tsx";
import { AppMetricsTab } from "./app-metrics.tsx";
import { AppPreviews } from "./app-previews.tsx";
import { AppSettings } from "./app-settings.tsx";

const TABS: readonly { tab: AppTab; label: string; path: string }[] = [
  { tab: "deployments", label: "Deployments", path: "" },
  { tab: "logs", label: "Logs", path: "/logs" },
  { tab: "metrics", label: "Metrics", path: "/metrics" },
  { tab: "env", label: "Environment", path: "/env" },
  { tab: "cron", label: "Cron", path: "/cron" },
  { tab: "previews", label: "Previews", path: "/previews" },
  { tab: "domains", label: "Domains", path: "/domains" },
  { tab: "addons", label: "Add-ons", path: "/addons" },
  { tab: "settings", label: "Settings", path: "/settings" },
];

export function AppPage({ name, tab }: { readonly name: string; readonly tab: AppTab }) {
  useDocumentTitle(name);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [deployError, setDeployError] = useState<unknown>(null);
  const [deploying, setDeploying] = useState(false);
  const { app, history, latest } = useLiveApp(name, historyVersion);
  const live = history.data?.items.find((d) => d.state === "live") ?? null;

  const deploy = async () => {
    setDeploying(true);
    setDeployError(null);
    try {
      await deployNow(name);
      app.reload();
      setHistoryVersion((v) => v + 1);
    } catch (error) {
      setDeployError(error);
    } finally {
      setDeploying(false);
    }
  };

  if (!app.data) {
    return (
      <section className="page">
        <h1 tabIndex={-1}>{name}</h1>
        {app.loading ? (
          <p role="status">Loading…</p>
        ) : (
          <ErrorAlert error={app.error} {...(gone(app.error) ? {} : { onRetry: app.reload })} />
        )}
        <p>
          <Link to="/">Back to your apps</Link>
        </p>
      </section>
    );
  }
  const base = `/apps/${encodeURIComponent(name)}`;
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <p className="breadcrumb">
            <Link to="/">Apps</Link> /
          </p>
          <h1 tabIndex={-1}>{name}</h1>
        </div>
        <button
          type="button"
          className="button button-primary"
          disabled={deploying}
          onClick={() => void deploy()}
        >
          {deploying ? "Queueing…" : "Deploy now"}
        </button>
      </div>
      <ErrorAlert error={deployError} focus />
      <AppFacts app={app.data} live={live} latest={latest} />
      <FailedBanner name={name} latest={latest} />
      <nav className="tabs" aria-label={`${name} sections`}>
        {TABS.map((t) => (
          <Link key={t.tab} to={base + t.path} aria-current={t.tab === tab ? "page" : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      <TabPanel tab={tab} name={name} app={app.data} history={history} live={live} onChanged={app.reload} />
    </section>
  );
}

interface TabPanelProps {
  readonly tab: AppTab;
  readonly name: string;
  readonly app: App;
  readonly history: Loaded<DeploymentPage>;
  readonly live: Deployment | null;
  readonly onChanged: () => void;
}

function TabPanel({ tab, name, app, history, live, onChanged }: TabPanelProps) {
  return (
    <div className="tab-panel">
      {tab === "deployments" ? (
        <>
          <FormationPanel name={name} onChanged={onChanged} />
          <DeployHistory name={name} first={history} onChanged={onChanged} />
          <PlanPanel name={name} firstBuild={live === null} />
        </>
      ) : null}
      {tab === "logs" ? <LogViewer name={name} /> : null}
      {tab === "metrics" ? <AppMetricsTab name={name} /> : null}
      {tab === "env" ? <AppEnv name={name} /> : null}
      {tab === "cron" ? <AppCron name={name} /> : null}
      {tab === "previews" ? <AppPreviews name={name} /> : null}
      {tab === "domains" ? <AppDomains name={name} /> : null}
      {tab === "addons" ? <AppAddons name={name} /> : null}
      {tab === "settings" ? <AppSettings app={app} onSaved={onChanged} /> : null}
    </div>
  );
}

/**
 * The app and its newest history page, patched by pushed events and refetched on each resync. While the
 * events socket is down it polls, and reloads the history whenever the latest deploy moves.
 */
function useLiveApp(name: string, historyVersion: number) {
  const app = useLoad(`app:${name}`, () => getApp(name));
  const latest = app.data?.latestDeployment ?? null;
  const pushed = useLiveStatus().state === "live";
  const pushedRef = useRef(pushed);
  pushedRef.current = pushed;
  useInterval(app.reload, 3000, !pushed && latest !== null && isActive(latest.state));
  const history = useLoad(`deployments:${name}:${historyVersion}`, () => listDeployments(name));
  // Polled (not pushed): the history follows the latest deploy. Pushed events patch it in place instead.
  const moved = `${latest?.state}:${latest?.updatedAt}`;
  const reloadHistory = history.reload;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the latest deploy moves, by design
  useEffect(() => {
    if (!pushedRef.current) reloadHistory();
  }, [moved, reloadHistory]);
  useLiveEvents(
    (event) => applyToPage(name, event, app, history),
    () => {
      app.reload();
      history.reload();
    },
  );
  return { app, history, latest };
}

/** A pushed change of this app: patch the app and the newest page of history in place. */
function applyToPage(name: string, event: PlatformEvent, app: Loaded<App>, history: Loaded<DeploymentPage>) {
  if (event.type === "deployment" && event.app === name) {
    app.update((a) => withDeployment(a, event.deployment));
    history.update((page) => withDeploymentInPage(page, event.deployment));
  } else if (event.type === "app" && event.app.name === name) {
    app.update((a) => withApp(a, event.app));
  } else if (event.type === "app-deleted" && event.app === name) {
    app.reload(); // Shows the api's "no app named …" with the way back.
  }
}

/** Retrying cannot bring back an app that does not exist. */
function gone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

function Serving({ live }: { readonly live: Deployment | null }) {
  if (!live) return <span className="muted">Nothing live yet</span>;
  return (
    <>
      <StatusBadge state="live" /> #{live.number} <HealthBadge deployment={live} />
    </>
  );
}

interface FactsProps {
  readonly app: App;
  readonly live: Deployment | null;
  readonly latest: Deployment | null;
}

/** What is serving (the live release), and the newest deploy when it is another one (building, failed). */
function AppFacts({ app, live, latest }: FactsProps) {
  return (
    <dl className="facts facts-wide card">
      <div>
        <dt>Serving</dt>
        <dd>
          <Serving live={live} />
        </dd>
      </div>
      {latest && latest.id !== live?.id ? (
        <div>
          <dt>Latest deploy</dt>
          <dd>
            #{latest.number} <StatusBadge state={latest.state} />
          </dd>
        </div>
      ) : null}
      <div>
        <dt>URL</dt>
        <dd>
          <a href={app.url} target="_blank" rel="noreferrer" className="url">
            {app.url}
          </a>
        </dd>
      </div>
      <div>
        <dt>Repository</dt>
        <dd className="truncate" title={app.repository.url}>
          <a href={app.repository.url} target="_blank" rel="noreferrer">
            {app.repository.url.replace(/^https?:\/\//, "")}
          </a>
        </dd>
      </div>
      <div>
        <dt>Branch · root</dt>
        <dd>
          {app.repository.branch} · {app.repository.rootDir}
        </dd>
      </div>
    </dl>
  );
}

function FailedBanner({ name, latest }: { readonly name: string; readonly latest: Deployment | null }) {
  if (latest?.state !== "failed" || !latest.reason) return null;
  // A failed release command is in the release phase's lines, not the build's.
  const release = latest.conditions?.some((c) => c.type === "released" && c.status === "false") ?? false;
  const log = `/apps/${encodeURIComponent(name)}/logs?deployment=${encodeURIComponent(latest.id)}${release ? "&phase=release" : ""}`;
  return (
    <div className="alert alert-error" role="status">
      <p className="alert-title">Deploy #{latest.number} failed</p>
      <p>{latest.reason}</p>
      <p className="alert-hint">
        <strong>What to do:</strong> read{" "}
        <Link to={log}>
          the {release ? "release" : "build"} log of #{latest.number}
        </Link>
        , fix the cause, push or press Deploy now. The previous release, if any, keeps serving.
      </p>
    </div>
  );
}
