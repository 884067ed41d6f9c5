/**
 * Request metrics from an ingress controller's Prometheus text (ADR 0208): Traefik's per-service
 * `traefik_service_requests_total` / `traefik_service_request_duration_seconds` and ingress-nginx's
 * `nginx_ingress_controller_requests` / `nginx_ingress_controller_request_duration_seconds`. Counters are
 * cumulative since the controller started, so a scrape is a snapshot and a minute is the difference of two.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of text.matchAll(LABEL))
    if (l[1]) labels[l[1]] = (l[2] ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  return labels;
}

function sampleOf(line: string): Sample | null {
  if (line === "" || line.startsWith("#")) return null;
  const m = LINE.exec(line);
  if (!m?.[1] || m[3] === undefined) return null;
  const value = m[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[3]);
  return Number.isNaN(value) ? null : { name: m[1], labels: labelsOf(m[2] ?? ""), value };
}

/** Prometheus text format 0.0.4, samples only (comments and malformed lines are skipped). */
export function parsePrometheusText(text: string): Sample[] {
  return text.split("\n").flatMap((line) => sampleOf(line.trim()) ?? []);
}

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

/** One app's cumulative request counters as one scrape shows them. */
export interface IngressCounters {
  requests: number;
  status: Record<StatusClass, number>;
  /** Upper bound in seconds → cumulative count at or under it (`le`, +Inf included). */
  buckets: Map<number, number>;
  sumSeconds: number;
}

/** Which controller's metric names to read, and how a series names its app. */
export interface IngressDialect {
  readonly requests: string;
  readonly duration: string;
  readonly statusLabel: string;
  /** The app a series belongs to, or null when it is not one of ours. */
  appOf(labels: Readonly<Record<string, string>>): string | null;
}

/**
 * Traefik (v2/v3, `metrics.prometheus.addServicesLabels`): Kubernetes Ingress services are named
 * `<namespace>-<service>-<port>@kubernetes`; ours live in `<prefix><app>` with the Service named `<app>`.
 */
export function traefikDialect(namespacePrefix: string): IngressDialect {
  const pattern = new RegExp(`^${escapeRegExp(namespacePrefix)}([a-z0-9-]+)-\\1-\\d+@kubernetes$`);
  return {
    requests: "traefik_service_requests_total",
    duration: "traefik_service_request_duration_seconds",
    statusLabel: "code",
    appOf: (labels) => pattern.exec(labels.service ?? "")?.[1] ?? null,
  };
}

/** ingress-nginx: every series has the Ingress's `namespace`; ours are `<prefix><app>`. */
export function nginxDialect(namespacePrefix: string): IngressDialect {
  return {
    requests: "nginx_ingress_controller_requests",
    duration: "nginx_ingress_controller_request_duration_seconds",
    statusLabel: "status",
    appOf: (labels) => {
      const ns = labels.namespace ?? "";
      return ns.startsWith(namespacePrefix) && ns.length > namespacePrefix.length
        ? ns.slice(namespacePrefix.length)
        : null;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function empty(): IngressCounters {
  return {
    requests: 0,
    status: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
    buckets: new Map(),
    sumSeconds: 0,
  };
}

function classOf(code: string): StatusClass | null {
  const c = code[0];
  return c === "1" || c === "2" || c === "3" || c === "4" || c === "5" ? (`${c}xx` as StatusClass) : null;
}

function addSample(c: IngressCounters, s: Sample, dialect: IngressDialect): void {
  if (s.name === dialect.requests) {
    c.requests += s.value;
    const cls = classOf(s.labels[dialect.statusLabel] ?? "");
    if (cls) c.status[cls] += s.value;
  } else if (s.name === `${dialect.duration}_bucket`) {
    const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (!Number.isNaN(le)) c.buckets.set(le, (c.buckets.get(le) ?? 0) + s.value);
  } else if (s.name === `${dialect.duration}_sum`) {
    c.sumSeconds += s.value;
  }
}

/** One scrape → cumulative counters per app (series of other apps or other ingresses are left out). */
export function countersByApp(
  samples: readonly Sample[],
  dialect: IngressDialect,
): Map<string, IngressCounters> {
  const byApp = new Map<string, IngressCounters>();
  for (const s of samples) {
    const app = dialect.appOf(s.labels);
    if (!app) continue;
    const c = byApp.get(app) ?? empty();
    byApp.set(app, c);
    addSample(c, s, dialect);
  }
  return byApp;
}

/** What one app's latency histogram says about a quantile, as the bucket's upper bound (ms). */
export function quantileMs(buckets: ReadonlyMap<number, number>, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? buckets.get(bounds.at(-1) ?? 0) ?? 0;
  if (total <= 0) return null;
  for (const b of bounds) if ((buckets.get(b) ?? 0) >= q * total) return Number.isFinite(b) ? b * 1000 : null;
  return null;
}

/**
 * The increase between two scrapes per app. A counter that went down means the controller restarted:
 * the new value is then the whole increase (as Prometheus' `increase()` treats a reset).
 */
export function increase(
  before: ReadonlyMap<string, IngressCounters>,
  after: ReadonlyMap<string, IngressCounters>,
): Map<string, IngressCounters> {
  const out = new Map<string, IngressCounters>();
  for (const [app, now] of after) {
    const was = before.get(app) ?? empty();
    const reset = now.requests < was.requests;
    const d = (a: number, b: number) => (reset ? a : Math.max(0, a - b));
    const status = { ...now.status };
    for (const k of Object.keys(status) as StatusClass[]) status[k] = d(now.status[k], was.status[k]);
    const buckets = new Map<number, number>();
    for (const [le, n] of now.buckets) buckets.set(le, d(n, was.buckets.get(le) ?? 0));
    out.set(app, {
      requests: d(now.requests, was.requests),
      status,
      buckets,
      sumSeconds: d(now.sumSeconds, was.sumSeconds),
    });
  }
  return out;
}
