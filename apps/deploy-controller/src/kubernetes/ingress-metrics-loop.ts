import { type Db, writeRequestMinutes } from "@kli8nt/db";
import { IngressMinutes } from "../metrics/ingress-minutes.ts";
import { type IngressDialect, nginxDialect, traefikDialect } from "../metrics/ingress-prometheus.ts";

export interface IngressMetricsSettings {
  /** The controller's Prometheus endpoint, e.g. http://traefik-metrics.traefik:9100/metrics (ADR 0208). */
  readonly url: string;
  readonly format: "traefik" | "nginx";
  readonly namespacePrefix: string;
  /** A scrape a minute: each one's increase is that minute's point. */
  readonly intervalMs?: number;
}

export function dialectOf(settings: IngressMetricsSettings): IngressDialect {
  return settings.format === "nginx"
    ? nginxDialect(settings.namespacePrefix)
    : traefikDialect(settings.namespacePrefix);
}

/**
 * Scrapes the ingress controller every minute and writes each app's requests, status classes and latency
 * into the metrics store, as the router does on one machine. A failed scrape is logged and the next one
 * covers both minutes. Scrapes one endpoint: with several controller pods, point it at each (or at a
 * Service that keeps to one pod), as their counters are per pod.
 */
export function startIngressMetricsLoop(
  db: Db,
  settings: IngressMetricsSettings,
  logger: { warn(obj: object, msg: string): void },
): { stop(): Promise<void> } {
  const minutes = new IngressMinutes(dialectOf(settings));
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    const res = await fetch(settings.url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${settings.url} answered ${res.status}`);
    await writeRequestMinutes(db, minutes.next(await res.text(), new Date()));
  };
  const run = () => {
    running = tick().catch((err: unknown) =>
      logger.warn({ err, url: settings.url }, "Ingress metrics scrape failed; the next one retries"),
    );
  };
  run();
  const timer = setInterval(run, settings.intervalMs ?? 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
