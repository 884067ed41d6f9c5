import type { ManifestSettingsInput } from "@kli8nt/manifests";
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
    };
    return { kubeconfig: env.KLI8NT_KUBECONFIG, settings, resyncMs: env.KLI8NT_RESYNC_SECONDS * 1000 };
  });

export type KubernetesRuntimeConfig = Readonly<z.output<typeof schema>>;

/** Reads the Kubernetes runtime's configuration once; every bad variable is reported in one error. */
export function loadKubernetesRuntimeConfig(env: NodeJS.ProcessEnv = process.env): KubernetesRuntimeConfig {
  const values = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("KLI8NT_") && v));
  const result = schema.safeParse(values);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "config"}: ${i.message}`);
    throw new Error(`Invalid Kubernetes runtime configuration:\n${lines.join("\n")}`, {
      cause: result.error,
    });
  }
  return Object.freeze(result.data);
}
