import { describe, expect, it } from "vitest";
import {
  countersByApp,
  increase,
  nginxDialect,
  parsePrometheusText,
  quantileMs,
  traefikDialect,
} from "./ingress-prometheus.ts";

// Scrapes as Traefik v3 (`--metrics.prometheus.addServicesLabels`, default buckets 0.1/0.3/1.2/5) and
// ingress-nginx v1.x answer them, trimmed to the series we read plus some we must ignore.
const traefik = (
  okShop: number,
  errShop: number,
  fast: number,
  slow: number,
) => `# HELP traefik_service_requests_total How many HTTP requests processed on a service, partitioned by status code, protocol, and method.
# TYPE traefik_service_requests_total counter
traefik_service_requests_total{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"} ${okShop}
traefik_service_requests_total{code="503",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"} ${errShop}
traefik_service_requests_total{code="404",method="POST",protocol="http",service="kli8nt-blog-blog-80@kubernetes"} 4
traefik_service_requests_total{code="200",method="GET",protocol="http",service="default-whoami-80@kubernetes"} 99
# HELP traefik_service_request_duration_seconds How long it took to process the request on a service, partitioned by status code, protocol, and method.
# TYPE traefik_service_request_duration_seconds histogram
traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes",le="0.1"} ${fast}
traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes",le="0.3"} ${fast + slow}
traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes",le="1.2"} ${okShop}
traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes",le="5"} ${okShop}
traefik_service_request_duration_seconds_bucket{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes",le="+Inf"} ${okShop}
traefik_service_request_duration_seconds_sum{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"} 1.5
traefik_service_request_duration_seconds_count{code="200",method="GET",protocol="http",service="kli8nt-shop-shop-80@kubernetes"} ${okShop}
# HELP traefik_open_connections How many open connections exist, by entryPoint and protocol.
traefik_open_connections{entrypoint="web",protocol="TCP"} 3
process_cpu_seconds_total 1.23
`;

const nginx = `# HELP nginx_ingress_controller_requests The total number of client requests
# TYPE nginx_ingress_controller_requests counter
nginx_ingress_controller_requests{canary="",controller_class="k8s.io/ingress-nginx",controller_namespace="ingress-nginx",controller_pod="ingress-nginx-controller-6d8f",host="shop.apps.example.com",ingress="shop",method="GET",namespace="kli8nt-shop",path="/",service="shop",status="200"} 40
nginx_ingress_controller_requests{canary="",controller_class="k8s.io/ingress-nginx",controller_namespace="ingress-nginx",controller_pod="ingress-nginx-controller-6d8f",host="shop.apps.example.com",ingress="shop",method="GET",namespace="kli8nt-shop",path="/",service="shop",status="302"} 2
nginx_ingress_controller_requests{canary="",controller_class="k8s.io/ingress-nginx",controller_namespace="ingress-nginx",controller_pod="ingress-nginx-controller-6d8f",host="x.example.com",ingress="x",method="GET",namespace="monitoring",path="/",service="x",status="200"} 7
# TYPE nginx_ingress_controller_request_duration_seconds histogram
nginx_ingress_controller_request_duration_seconds_bucket{ingress="shop",method="GET",namespace="kli8nt-shop",path="/",service="shop",status="200",le="0.005"} 10
nginx_ingress_controller_request_duration_seconds_bucket{ingress="shop",method="GET",namespace="kli8nt-shop",path="/",service="shop",status="200",le="0.05"} 38
nginx_ingress_controller_request_duration_seconds_bucket{ingress="shop",method="GET",namespace="kli8nt-shop",path="/",service="shop",status="200",le="+Inf"} 40
nginx_ingress_controller_request_duration_seconds_sum{ingress="shop",method="GET",namespace="kli8nt-shop",path="/",service="shop",status="200"} 0.9
`;

describe("request metrics from an ingress controller's Prometheus text", () => {
  it("parses samples, labels with escapes, +Inf, and skips comments and junk", () => {
    const samples = parsePrometheusText(
      'a_total{x="q\\"uote",y="line\\nbreak"} 3 1700000000000\n# c\nnot a sample\nb_bucket{le="+Inf"} +Inf\n',
    );
    expect(samples).toEqual([
      { name: "a_total", labels: { x: 'q"uote', y: "line\nbreak" }, value: 3 },
      { name: "b_bucket", labels: { le: "+Inf" }, value: Number.POSITIVE_INFINITY },
    ]);
  });

  it("Traefik: counts per app from our namespaces' services only, by status class, with the histogram", () => {
    const byApp = countersByApp(parsePrometheusText(traefik(100, 5, 60, 30)), traefikDialect("kli8nt-"));
    expect([...byApp.keys()].sort()).toEqual(["blog", "shop"]);
    const shop = byApp.get("shop");
    expect(shop?.requests).toBe(105);
    expect(shop?.status).toEqual({ "1xx": 0, "2xx": 100, "3xx": 0, "4xx": 0, "5xx": 5 });
    expect(shop?.sumSeconds).toBe(1.5);
    expect(shop && quantileMs(shop.buckets, 0.5)).toBe(100);
    expect(shop && quantileMs(shop.buckets, 0.9)).toBe(300);
    expect(shop && quantileMs(shop.buckets, 0.99)).toBe(1200);
    expect(byApp.get("blog")?.status["4xx"]).toBe(4);
  });

  it("Traefik: a minute is the increase between two scrapes, and a controller restart counts from zero", () => {
    const dialect = traefikDialect("kli8nt-");
    const first = countersByApp(parsePrometheusText(traefik(100, 5, 60, 30)), dialect);
    const second = countersByApp(parsePrometheusText(traefik(160, 7, 100, 50)), dialect);
    const minute = increase(first, second).get("shop");
    expect(minute?.requests).toBe(62);
    expect(minute?.status).toMatchObject({ "2xx": 60, "5xx": 2 });
    expect(minute?.buckets.get(0.1)).toBe(40);
    const restarted = countersByApp(parsePrometheusText(traefik(3, 0, 3, 0)), dialect);
    expect(increase(second, restarted).get("shop")?.requests).toBe(3);
    // An app first seen in the second scrape: all of it is new.
    expect(increase(new Map(), first).get("blog")?.requests).toBe(4);
  });

  it("ingress-nginx: apps by the Ingress's namespace, status from `status`", () => {
    const byApp = countersByApp(parsePrometheusText(nginx), nginxDialect("kli8nt-"));
    expect([...byApp.keys()]).toEqual(["shop"]);
    const shop = byApp.get("shop");
    expect(shop?.requests).toBe(42);
    expect(shop?.status).toMatchObject({ "2xx": 40, "3xx": 2 });
    expect(shop && quantileMs(shop.buckets, 0.5)).toBe(50);
    expect(shop?.sumSeconds).toBe(0.9);
  });
});
