import { getDomain } from "tldts";
import type { CheckResult } from "./doctor-checks.ts";

/**
 * Apps must not be same-site with the dashboard: a tenant's page at `<app>.<apps domain>` that shares the
 * dashboard's registrable domain is same-site with it, so SameSite cookies ride along on its requests and
 * the browser's Sec-Fetch-Site says "same-site" (ADR 0130). Heroku and Render serve apps from a domain of
 * their own (herokuapp.com, onrender.com) for that reason. The registrable domain comes from the Public
 * Suffix List (tldts), so `a.co.uk` and `b.co.uk` are told apart.
 */
export function checkAppsDomainSite(publicUrl: string, appsDomain: string): CheckResult {
  const name = "apps-domain";
  let dashboardHost: string;
  try {
    dashboardHost = new URL(publicUrl).hostname;
  } catch {
    return { name, ok: false, message: `--public-url ${JSON.stringify(publicUrl)} is not a URL` };
  }
  const dashboardSite = getDomain(dashboardHost);
  const appsSite = getDomain(`app.${appsDomain.replace(/^\*\./, "")}`);
  if (!dashboardSite || !appsSite) {
    return {
      name,
      ok: true,
      message: `${dashboardHost} and ${appsDomain} have no registrable domain to share`,
    };
  }
  if (dashboardSite === appsSite) {
    return {
      name,
      ok: false,
      message:
        `apps under ${appsDomain} are same-site with the dashboard at ${dashboardHost} (both ${dashboardSite}): ` +
        "a tenant's page could send the dashboard's cookies. Serve apps from a registrable domain of their own " +
        "(e.g. example-apps.com for kli8nt.example.com)",
    };
  }
  return {
    name,
    ok: true,
    message: `apps (${appsSite}) and the dashboard (${dashboardSite}) are different sites`,
  };
}
