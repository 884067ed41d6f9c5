import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

/** A history router in 50 lines: the UI has five routes, a library would weigh more than all of them. */

const CHANGE = "kli8nt:navigate";

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

export function useLocation(): string {
  return useSyncExternalStore(subscribe, () => location.pathname + location.search);
}

export type AppTab =
  | "deployments"
  | "logs"
  | "metrics"
  | "env"
  | "cron"
  | "previews"
  | "domains"
  | "addons"
  | "settings";

export type Route =
  | { readonly page: "dashboard" }
  | { readonly page: "new-app" }
  | { readonly page: "app"; readonly name: string; readonly tab: AppTab }
  | { readonly page: "sign-in" }
  | { readonly page: "tokens" }
  | { readonly page: "not-found" };

const TABS: readonly AppTab[] = [
  "deployments",
  "logs",
  "metrics",
  "env",
  "cron",
  "previews",
  "domains",
  "addons",
  "settings",
];

const TOP_PAGES: Readonly<Record<string, Route>> = {
  "sign-in": { page: "sign-in" },
  tokens: { page: "tokens" },
};

export function matchRoute(pathname: string): Route {
  const parts = pathname.split("?")[0]?.split("/").filter(Boolean) ?? [];
  if (parts.length === 0) return { page: "dashboard" };
  if (parts[0] !== "apps") return (parts.length === 1 && TOP_PAGES[parts[0] ?? ""]) || { page: "not-found" };
  return matchAppRoute(parts);
}

/** /apps, /apps/new, /apps/<name>[/<tab>]. */
function matchAppRoute(parts: readonly string[]): Route {
  if (parts.length === 1) return { page: "dashboard" };
  if (parts[1] === "new" && parts.length === 2) return { page: "new-app" };
  const name = decodeURIComponent(parts[1] ?? "");
  const tab = (parts[2] ?? "deployments") as AppTab;
  if (parts.length > 3 || !TABS.includes(tab)) return { page: "not-found" };
  return { page: "app", name, tab };
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { readonly to: string };

/** An ordinary link (middle-click, copy address) that navigates without a reload on a plain click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
