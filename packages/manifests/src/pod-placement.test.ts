import { describe, expect, it } from "vitest";
import { renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

const app = { id: "app_5f0c2a7e9b1d4c3a8e6f0b2d4c6a8e0f", name: "hello" };
const release = {
  deploymentId: "dep_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  image: `registry.kli8nt.internal/apps/hello@sha256:${"3b".repeat(32)}`,
  port: 8080,
};

describe("podPlacement setting", () => {
  it("puts the node selector and tolerations on the app's pod template", () => {
    const podPlacement = {
      nodeSelector: { "kli8nt.io/pool": "apps" },
      tolerations: [
        { key: "kli8nt.io/pool", operator: "Equal", value: "apps", effect: "NoSchedule" },
      ] as const,
    };
    const pod = renderApp(app, release, resolveSettings({ appsDomain: "apps.example.com", podPlacement }))
      .deployment.spec?.template.spec;
    expect(pod?.nodeSelector).toEqual(podPlacement.nodeSelector);
    expect(pod?.tolerations).toEqual(podPlacement.tolerations);
  });

  it("leaves both out when unset", () => {
    const pod = renderApp(app, release, resolveSettings({ appsDomain: "apps.example.com" })).deployment.spec
      ?.template.spec;
    expect(pod && "nodeSelector" in pod).toBe(false);
    expect(pod && "tolerations" in pod).toBe(false);
  });
});
