import { useState } from "react";
import { listApps } from "../api/endpoints.ts";
import { getMetricsSummary, type MetricsSummary } from "../api/metrics.ts";
import { type App, isActive } from "../api/types.ts";
import { ErrorAlert } from "../components/error-alert.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Sparkline } from "../components/time-chart.tsx";
import { takeFlash } from "../flash.ts";
import { fullTime, timeAgo } from "../format.ts";
import { useDocumentTitle, useInterval, useLoad } from "../hooks.ts";
import { withApp, withDeployment } from "../live/apply-event.ts";
import { useCoalesced } from "../live/coalesced.ts";
import { type PlatformEvent, useLiveEvents, useLiveStatus } from "../live/live-updates.ts";
import { Link } from "../router.tsx";

export function Dashboard() {
  useDocumentTitle("Apps");
  const [flash] = useState(takeFlash);
  const [more, setMore] = useState<{ items: App[]; next: string | null } | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const first = useLoad("apps", () => listApps());
  const summary = useLoad("metrics-summary", getMetricsSummary);
  useInterval(summary.reload, 60_000, true);
  // Stored points of any app (pushed, ADR 0217) refresh the sparklines, at most every 5 s.
  const refreshSummary = useCoalesced(summary.reload, 5000);
  const apps = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.next : (first.data?.nextCursor ?? null);
  const live = useLiveStatus().state === "live";
  // Pushed events keep the list current; polling is the fallback while the socket is down.
  useInterval(
    first.reload,
    4000,
    !live && apps.some((a) => a.latestDeployment && isActive(a.latestDeployment.state)),
  );
  useLiveEvents(
    (event) => {
      if (event.type === "metrics-updated") {
        refreshSummary();
        return;
      }
      // A new app (made in another tab) has no row to patch: fetch the list with it in place.
      if (event.type === "app" && !apps.some((a) => a.id === event.app.id)) {
        first.reload();
        return;
      }
      const change = (items: App[]) => applyToList(items, event);
      first.update((page) => ({ ...page, items: change(page.items) }));
      setMore((m) => (m ? { ...m, items: change(m.items) } : m));
    },
    () => {
      setMore(null);
      first.reload();
    },
  );

  const loadMore = async () => {
    if (!next) return;
    try {
      const page = await listApps(next);
      setMore((m) => ({ items: [...(m?.items ?? []), ...page.items], next: page.nextCursor }));
    } catch (error) {
      setMoreError(error);
    }
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Apps</h1>
        <Link to="/apps/new" className="button button-primary">
          New app
        </Link>
      </div>
      {flash ? (
        <p className="alert alert-success" role="status">
          {flash}
        </p>
      ) : null}
      <ErrorAlert error={first.error} onRetry={first.reload} />
      {first.loading && !first.data ? <p role="status">Loading your apps…</p> : null}
      {first.data && apps.length === 0 ? <EmptyState /> : null}
      {apps.length > 0 ? (
        <ul className="app-list" aria-label="Your apps">
          {apps.map((app) => (
            <AppRow key={app.id} app={app} traffic={trafficOf(summary.data, app.name)} />
          ))}
        </ul>
      ) : null}
      <ErrorAlert error={moreError} />
      {next ? (
        <button type="button" className="button" onClick={() => void loadMore()}>
          Show more apps
        </button>
      ) : null}
    </section>
  );
}

function applyToList(items: App[], event: Exclude<PlatformEvent, { type: "metrics-updated" }>): App[] {
  switch (event.type) {
    case "deployment":
      return items.map((a) => (a.name === event.app ? withDeployment(a, event.deployment) : a));
    case "app":
      return items.map((a) => (a.id === event.app.id ? withApp(a, event.app) : a));
    case "app-deleted":
      return items.filter((a) => a.name !== event.app);
  }
}

type Traffic = MetricsSummary["apps"][number]["points"];

function trafficOf(summary: MetricsSummary | undefined, name: string): Traffic {
  return summary?.apps.find((a) => a.app === name)?.points ?? [];
}

/** Requests per hour over the last day, and the share of them that were 5xx, hour by hour and in all. */
function TrafficFacts({ name, traffic }: { readonly name: string; readonly traffic: Traffic }) {
  const requests = traffic.reduce((n, p) => n + p.requests, 0);
  const errors = traffic.reduce((n, p) => n + p.errors, 0);
  const rate = requests > 0 ? (100 * errors) / requests : 0;
  return (
    <div className="traffic">
      <dt>Requests · error rate · 24 h</dt>
      <dd>
        {requests > 0 ? (
          <>
            <Sparkline
              label={`${name}: requests per hour, last 24 hours`}
              values={traffic.map((p) => p.requests)}
              color="#2563eb"
            />
            <Sparkline
              label={`${name}: error rate (5xx) per hour, last 24 hours`}
              values={traffic.map((p) => (p.requests > 0 ? (100 * p.errors) / p.requests : 0))}
              color="#dc2626"
              className="sparkline-errors"
            />
            <span className="traffic-figures">
              {requests.toLocaleString()} ·{" "}
              <span className={rate >= 1 ? "error-rate-bad" : ""}>{rate.toFixed(1)}% errors</span>
            </span>
          </>
        ) : (
          <span className="muted">No traffic yet</span>
        )}
      </dd>
    </div>
  );
}

function AppRow({ app, traffic }: { readonly app: App; readonly traffic: Traffic }) {
  const latest = app.latestDeployment;
  return (
    <li className="app-row card">
      <div className="app-row-main">
        <h2 className="app-row-name">
          <Link to={`/apps/${encodeURIComponent(app.name)}`}>{app.name}</Link>
        </h2>
        <StatusBadge state={latest?.state ?? null} />
      </div>
      <dl className="facts">
        <div>
          <dt>URL</dt>
          <dd>
            <a href={app.url} target="_blank" rel="noreferrer" className="url">
              {app.url.replace(/^https?:\/\//, "")}
            </a>
          </dd>
        </div>
        <div>
          <dt>Repository</dt>
          <dd className="truncate" title={app.repository.url}>
            {app.repository.url.replace(/^https?:\/\/(www\.)?github\.com\//, "")} · {app.repository.branch}
          </dd>
        </div>
        <div>
          <dt>Last deploy</dt>
          <dd>
            {latest ? (
              <time dateTime={latest.createdAt} title={fullTime(latest.createdAt)}>
                #{latest.number} {timeAgo(latest.createdAt)}
              </time>
            ) : (
              "Never"
            )}
          </dd>
        </div>
        <TrafficFacts name={app.name} traffic={traffic} />
      </dl>
    </li>
  );
}

function EmptyState() {
  return (
    <div className="empty card">
      <h2>No apps yet</h2>
      <p>Create an app from a Git repository: Kli8nt detects how to build it and gives it its own URL.</p>
      <Link to="/apps/new" className="button button-primary">
        Create your first app
      </Link>
    </div>
  );
}
