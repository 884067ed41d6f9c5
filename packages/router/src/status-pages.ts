import type { StatusPage } from "./pages.ts";
import type { RouteTarget } from "./route-table.ts";

type StatusTarget = Extract<RouteTarget, { kind: "status" }>;

export function unknownHostPage(host: string, appsDomain: string, port: number): StatusPage {
  return {
    status: 404,
    code: "ROUTER_UNKNOWN_HOST",
    title: "No app at this address",
    detail: `${host} is not an app address of this Kli8nt router.`,
    hint: `Apps are served at http://<app name>.${appsDomain}:${port}/ — check the app name in the URL.`,
  };
}

export function unknownAppPage(app: string): StatusPage {
  return {
    status: 404,
    code: "APP_NOT_FOUND",
    title: `No app named “${app}”`,
    detail: `There is no app called ${app} on this Kli8nt server.`,
    hint: "Check the spelling of the address, or create the app and deploy it.",
  };
}

export function badRequestPage(reason: string): StatusPage {
  return {
    status: 400,
    code: "ROUTER_BAD_REQUEST",
    title: "The request could not be routed",
    detail: `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`,
    hint: "Open the app by its address, like http://<app name>.localhost:8000/.",
  };
}

/** The router holds as many client connections as it may (RouterOptions.maxConnections). */
export function routerBusyPage(): StatusPage {
  return {
    status: 503,
    code: "ROUTER_BUSY",
    title: "Too many connections",
    detail: "The router is holding as many connections as it is allowed to.",
    hint: "Try again in a few seconds.",
    retryAfterSeconds: 5,
  };
}

export function clientErrorPage(status: 400 | 408 | 431): StatusPage {
  const detail =
    status === 431
      ? "The request headers are too large."
      : status === 408
        ? "The request took too long to arrive."
        : "The request is not valid HTTP.";
  return {
    status,
    code:
      status === 431 ? "ROUTER_HEADERS_TOO_LARGE" : status === 408 ? "ROUTER_TIMEOUT" : "ROUTER_BAD_REQUEST",
    title: "The request could not be read",
    detail,
    hint: status === 431 ? "Clear this site's cookies and try again." : "Try again.",
  };
}

export function targetStatusPage(app: string, target: StatusTarget): StatusPage {
  switch (target.status) {
    case "building":
      return {
        status: 503,
        code: "APP_BUILDING",
        title: `${app} is being built`,
        detail: target.message,
        hint: "This page reloads by itself and shows the app as soon as the new release is live.",
        retryAfterSeconds: 5,
        refreshSeconds: 5,
      };
    case "no-release":
      return {
        status: 503,
        code: "APP_NO_RELEASE",
        title: `${app} has no release yet`,
        detail: target.message,
        hint: "Deploy the app (for example `kli8nt deploy --wait`), then reload this page.",
        retryAfterSeconds: 30,
      };
    case "crashed":
      return crashedPage(app, target.message);
    case "stopped":
      return {
        status: 503,
        code: "APP_STOPPED",
        title: "This app is stopped",
        detail: target.message,
        hint: `Its owner stopped ${app}; \`kli8nt start ${app}\` brings back its processes.`,
        retryAfterSeconds: 60,
      };
  }
}

export function crashedPage(app: string, detail: string): StatusPage {
  return {
    status: 502,
    code: "APP_CRASHED",
    title: `${app} crashed or is not answering`,
    detail,
    hint: "Look at the app's logs (`kli8nt logs -f`), fix the problem and deploy again, or roll back.",
  };
}

/** Every replica of the app refused a connection within the last few seconds (ADR 0170). */
export function allReplicasDownPage(app: string): StatusPage {
  return {
    ...crashedPage(app, "None of the app's web processes is accepting connections."),
    code: "UPSTREAM_UNAVAILABLE",
  };
}

const TIMEOUT_DETAILS: Readonly<Record<string, string>> = {
  UPSTREAM_CONNECT_TIMEOUT: "The app did not accept the connection in time.",
  UPSTREAM_RESPONSE_TIMEOUT: "The app accepted the request but did not start answering in time.",
};

export function upstreamFailedPage(app: string, code: string | undefined): StatusPage {
  const timeout = code === undefined ? undefined : TIMEOUT_DETAILS[code];
  return {
    ...crashedPage(
      app,
      timeout ?? `The app closed the connection or is not listening (${code ?? "unknown error"}).`,
    ),
    // 502 for both: to a visitor "not answering" and "refused" are the same problem with the same fix.
    code: timeout === undefined ? "UPSTREAM_UNAVAILABLE" : "UPSTREAM_TIMEOUT",
  };
}

export function routerFailurePage(): StatusPage {
  return {
    status: 500,
    code: "ROUTER_INTERNAL",
    title: "The router could not handle this request",
    detail: "Something went wrong inside the Kli8nt router; the error is in the platform's log.",
    hint: "Try again; if it keeps happening, look at the platform's log.",
  };
}
