import { type EnvSource, envSettings, loadEnvConfig } from "@kli8nt/core";
import { DEFAULT_SETTINGS, type ManifestSettingsInput } from "@kli8nt/manifests";
import { z } from "zod";

/** The KLI8NT_* variables of the deploy controller's Kubernetes mode. */
const schema = z
  .object({
    /** Unset: the in-cluster service account. */
    KLI8NT_KUBECONFIG: z.string().min(1).optional(),
    KLI8NT_APPS_DOMAIN: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "KLI8NT_APPS_DOMAIN is a DNS name"),
    KLI8NT_K8S_NAMESPACE_PREFIX: z
      .string()
      .regex(/^[a-z0-9][-a-z0-9]*-$/)
      .default("kli8nt-app-"),
    KLI8NT_INGRESS_CLASS: z.string().min(1).default("nginx"),
    KLI8NT_INGRESS_NAMESPACE: z.string().min(1).default("ingress-nginx"),
    KLI8NT_CERT_ISSUER: z
      .string()
      .regex(
        /^(ClusterIssuer|Issuer)\/[a-z0-9][-a-z0-9.]*$/,
        "KLI8NT_CERT_ISSUER is like ClusterIssuer/letsencrypt",
      )
      .default("ClusterIssuer/letsencrypt"),
    KLI8NT_PROGRESS_DEADLINE_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
    KLI8NT_RESYNC_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
    // Where app pods may not send traffic besides link-local (always denied): comma-separated CIDRs
    // holding the cluster's pods and Services, Kafka and the platform (docs/adr/0142).
    KLI8NT_APP_EGRESS_DENIED_CIDRS: z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((c) => c.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, "a CIDR like 10.0.0.0/8")))
      .optional(),
    // The controller's own ServiceAccount, <namespace>/<name>: each app namespace gets a RoleBinding
    // granting it the app role <name>-app there (docs/adr/0141). Unset: no RoleBinding (admin rights).
    KLI8NT_K8S_SERVICE_ACCOUNT: z
      .string()
      .regex(/^[a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*$/, "<namespace>/<serviceaccount>")
      .transform((s) => {
        const [namespace = "", name = ""] = s.split("/");
        return { namespace, name };
      })
      .optional(),
    KLI8NT_DNS_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .default("kube-system"),
    KLI8NT_DNS_POD_SELECTOR: z
      .string()
      .regex(/^[-\w./]+=[-\w.]*(,[-\w./]+=[-\w.]*)*$/, "label=value pairs like k8s-app=kube-dns")
      .default("k8s-app=kube-dns")
      .transform((s) => Object.fromEntries(s.split(",").map((pair) => pair.split("=") as [string, string]))),
  })
  .transform((env) => {
    const [kind, name] = env.KLI8NT_CERT_ISSUER.split("/") as ["ClusterIssuer" | "Issuer", string];
    const settings: ManifestSettingsInput = {
      appsDomain: env.KLI8NT_APPS_DOMAIN,
      namespacePrefix: env.KLI8NT_K8S_NAMESPACE_PREFIX,
      ingressClassName: env.KLI8NT_INGRESS_CLASS,
      ingressControllerNamespace: env.KLI8NT_INGRESS_NAMESPACE,
      certificateIssuer: { kind, name },
      progressDeadlineSeconds: env.KLI8NT_PROGRESS_DEADLINE_SECONDS,
      ...(env.KLI8NT_K8S_SERVICE_ACCOUNT ? { controller: env.KLI8NT_K8S_SERVICE_ACCOUNT } : {}),
      egress: {
        deniedCidrs: env.KLI8NT_APP_EGRESS_DENIED_CIDRS ?? DEFAULT_SETTINGS.egress.deniedCidrs,
        dnsNamespace: env.KLI8NT_DNS_NAMESPACE,
        dnsPodLabels: env.KLI8NT_DNS_POD_SELECTOR,
      },
    };
    return { kubeconfig: env.KLI8NT_KUBECONFIG, settings, resyncMs: env.KLI8NT_RESYNC_SECONDS * 1000 };
  });

export type KubernetesRuntimeConfig = Readonly<z.output<typeof schema>>;

/** Reads the Kubernetes runtime's configuration once; every bad variable is reported in one ConfigError. */
export function loadKubernetesRuntimeConfig(env: EnvSource = process.env): KubernetesRuntimeConfig {
  return loadEnvConfig("Kubernetes runtime", schema, env);
}

/** What the controller process needs besides the runtime settings (same names as the api's). */
const processSchema = z
  .object({
    KLI8NT_DATABASE_URL: envSettings.postgresUrl(),
    KLI8NT_RABBITMQ_URL: envSettings.amqpUrl(),
    KLI8NT_SECRET_KEY: envSettings.secretKey(),
    KLI8NT_LOG_LEVEL: envSettings.logLevel(),
    // The registry builds push to (`host[:port][/path]`): a deleted app's
    // images and build cache are removed from it (ADR 0205). Unset: they stay.
    KLI8NT_REGISTRY: z.string().min(1).optional(),
    KLI8NT_REGISTRY_INSECURE: z.enum(["true", "false"]).default("false"),
    // A registry that needs auth for deletes: a Docker config file (the builds' push Secret, or a robot
    // account with delete rights) whose credentials answer its Basic or Bearer challenge.
    KLI8NT_REGISTRY_AUTH_FILE: z.string().min(1).optional(),
    // The ingress controller's Prometheus endpoint: apps' request metrics come from it (ADR 0208).
    KLI8NT_INGRESS_METRICS_URL: z.url({ protocol: /^https?$/ }).optional(),
    KLI8NT_INGRESS_METRICS_FORMAT: z.enum(["traefik", "nginx"]).default("traefik"),
  })
  .transform((env) => ({
    ingressMetrics: env.KLI8NT_INGRESS_METRICS_URL
      ? { url: env.KLI8NT_INGRESS_METRICS_URL, format: env.KLI8NT_INGRESS_METRICS_FORMAT }
      : undefined,
    databaseUrl: env.KLI8NT_DATABASE_URL,
    rabbitmqUrl: env.KLI8NT_RABBITMQ_URL,
    secretKey: env.KLI8NT_SECRET_KEY,
    logLevel: env.KLI8NT_LOG_LEVEL,
    registry: env.KLI8NT_REGISTRY
      ? {
          registry: env.KLI8NT_REGISTRY,
          insecure: env.KLI8NT_REGISTRY_INSECURE === "true",
          authFile: env.KLI8NT_REGISTRY_AUTH_FILE,
        }
      : undefined,
  }));

export type KubernetesDeployControllerConfig = Readonly<
  KubernetesRuntimeConfig & z.output<typeof processSchema>
>;

/**
 * The whole configuration of the Kubernetes deploy controller process (apps/deploy-controller/src/
 * kubernetes/main.ts), read once (`<NAME>_FILE` for mounted Secrets); every bad variable of both parts is
 * reported in one ConfigError.
 */
export function loadKubernetesDeployControllerConfig(
  env: EnvSource = process.env,
): KubernetesDeployControllerConfig {
  return loadEnvConfig("deploy controller", schema.and(processSchema), env);
}
