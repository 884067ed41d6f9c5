/**
 * Pure merges of a pushed row into what a page holds. An event carries the row as it is now, but a fetch
 * answered just before it may land after it, so a row only ever replaces an older one (by `updatedAt`).
 */
import type { App, Deployment, DeploymentPage } from "../api/types.ts";

function isNewer(candidate: Deployment, current: Deployment): boolean {
  return Date.parse(candidate.updatedAt) >= Date.parse(current.updatedAt);
}

/** The app with `d` as its latest deploy when `d` is that one or a newer one. */
export function withDeployment(app: App, d: Deployment): App {
  const latest = app.latestDeployment;
  if (latest && (d.number < latest.number || (d.id === latest.id && !isNewer(d, latest)))) return app;
  return { ...app, latestDeployment: d };
}

/** The newest page of history with `d` replaced, or added on top when it is a new deploy. */
export function withDeploymentInPage(page: DeploymentPage, d: Deployment): DeploymentPage {
  const index = page.items.findIndex((item) => item.id === d.id);
  if (index >= 0) {
    const current = page.items[index];
    if (current && !isNewer(d, current)) return page;
    return { ...page, items: page.items.map((item, i) => (i === index ? d : item)) };
  }
  const top = page.items[0];
  if (top && d.number < top.number) return page; // An older deploy, on a page not loaded here.
  return { ...page, items: [d, ...page.items] };
}

/** A pushed app replaces the held one, keeping whichever latest deploy is newer. */
export function withApp(held: App, pushed: App): App {
  const latest = pushed.latestDeployment;
  return latest ? withDeployment({ ...pushed, latestDeployment: held.latestDeployment }, latest) : pushed;
}
