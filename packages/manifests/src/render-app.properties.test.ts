import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { isDns1123Label, isDns1123Subdomain } from "./names.ts";
import { renderDeployControllerRbac } from "./rbac.ts";
import { applyOrder, renderApp } from "./render-app.ts";
import { type ManifestSettings, resolveSettings } from "./settings.ts";

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const appArb: fc.Arbitrary<ManifestApp> = fc.record({
  id: hex(32).map((h) => `app_${h}`),
  name: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/),
});
const releaseArb: fc.Arbitrary<ManifestRelease> = fc.record(
  {
    deploymentId: hex(32).map((h) => `dep_${h}`),
    image: fc
      .tuple(fc.constantFrom("registry.local:5000/apps", "ghcr.io/acme", "localhost/x"), hex(64))
      .map(([repo, digest]) => `${repo}/app@sha256:${digest}`),
    port: fc.integer({ min: 1, max: 65535 }),
    healthCheck: fc.record({ path: fc.constantFrom("/", "/healthz", "/api/health") }),
    envChecksum: hex(32).map((h) => `sha256-${h}`),
    replicas: fc.integer({ min: 0, max: 5 }),
  },
  { requiredKeys: ["deploymentId", "image", "port"] },
);
const settingsArb: fc.Arbitrary<ManifestSettings> = fc
  .record({
    appsDomain: fc.constantFrom("apps.example.com", "localhost", "a.b.c.d.example.org"),
    namespacePrefix: fc.constantFrom("kli8nt-app-", "app-", ""),
  })
  .map(resolveSettings);

const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);
/** Kinds whose names Kubernetes validates as DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(["Namespace", "Service"]);

describe("renderApp properties", () => {
  it("labels every object with app, deployment and phase", () => {
    fc.assert(
      fc.property(appArb, releaseArb, settingsArb, (app, release, settings) => {
        for (const object of applyOrder(renderApp(app, release, settings))) {
          expect(object.metadata?.labels).toMatchObject({
            "kli8nt.io/app": app.name,
            "kli8nt.io/deployment": release.deploymentId,
            "kli8nt.io/phase": "run",
          });
        }
      }),
    );
  });

  it("names every object with a valid DNS-1123 name in the app's own namespace", () => {
    fc.assert(
      fc.property(appArb, releaseArb, settingsArb, (app, release, settings) => {
        const m = renderApp(app, release, settings);
        for (const object of applyOrder(m)) expectValidName(object, m.names.namespace);
        expect(isDns1123Subdomain(m.names.host)).toBe(true);
        expect(isDns1123Subdomain(m.names.tlsSecret)).toBe(true);
        expect(isDns1123Subdomain(m.names.envSecret)).toBe(true);
      }),
    );
  });

  it("is deterministic: the same inputs give deep-equal objects", () => {
    fc.assert(
      fc.property(appArb, releaseArb, settingsArb, (app, release, settings) => {
        expect(JSON.stringify(renderApp(app, release, settings))).toBe(
          JSON.stringify(
            renderApp(structuredClone(app), structuredClone(release), structuredClone(settings)),
          ),
        );
      }),
    );
  });

  it("only renders pods that Pod Security `restricted` admits, running the image by digest", () => {
    fc.assert(
      fc.property(appArb, releaseArb, settingsArb, (app, release, settings) => {
        const m = renderApp(app, release, settings);
        expectRestrictedPod(m.deployment, release);
        expect(m.namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      }),
    );
  });

  it("routes Ingress → Service → container port by matching names and selectors", () => {
    fc.assert(
      fc.property(appArb, releaseArb, settingsArb, (app, release, settings) => {
        const { deployment, service, ingress } = renderApp(app, release, settings);
        const backend = ingress.spec?.rules?.[0]?.http?.paths[0]?.backend.service;
        expect(backend?.name).toBe(service.metadata?.name);
        expect(backend?.port?.number).toBe(service.spec?.ports?.[0]?.port);
        const container = deployment.spec?.template.spec?.containers[0];
        expect(container?.ports?.[0]?.name).toBe(service.spec?.ports?.[0]?.targetPort);
        expect(deployment.spec?.template.metadata?.labels).toMatchObject(
          service.spec?.selector ?? { none: "" },
        );
        expect(deployment.spec?.template.metadata?.labels).toMatchObject(
          deployment.spec?.selector.matchLabels ?? {},
        );
      }),
    );
  });
});

describe("deploy controller RBAC", () => {
  it("grants no wildcard and no update verb", () => {
    const [, role] = renderDeployControllerRbac();
    for (const rule of role.rules ?? []) {
      expect([...(rule.verbs ?? []), ...(rule.resources ?? []), ...(rule.apiGroups ?? [])]).not.toContain(
        "*",
      );
      expect(rule.verbs).not.toContain("update");
    }
  });
});

function expectValidName(object: KubernetesObject, namespace: string): void {
  const name = object.metadata?.name ?? "";
  const valid = LABEL_NAMED.has(object.kind ?? "") ? isDns1123Label(name) : isDns1123Subdomain(name);
  expect(valid, `${object.kind} name "${name}"`).toBe(true);
  if (CLUSTER_SCOPED.has(object.kind ?? "")) expect(object.metadata?.namespace).toBeUndefined();
  else expect(object.metadata?.namespace).toBe(namespace);
}

function expectRestrictedPod(deployment: V1Deployment, release: ManifestRelease): void {
  const pod = deployment.spec?.template.spec;
  expect(pod?.securityContext?.runAsNonRoot).toBe(true);
  expect(pod?.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
  expect(pod?.automountServiceAccountToken).toBe(false);
  for (const c of pod?.containers ?? []) {
    expect(c.image).toBe(release.image);
    expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    expect(c.env).toContainEqual({ name: "PORT", value: String(release.port) });
    expect(c.readinessProbe).toBeDefined();
    expect(c.livenessProbe).toBeDefined();
    expect(c.resources?.requests).toBeDefined();
    expect(c.resources?.limits).toBeDefined();
  }
}
