import type { App, Deployment } from "@kli8nt/core";
import type { z } from "zod";
import type { appView, deploymentView } from "./schemas.ts";

export function toDeploymentView(d: Deployment): z.infer<typeof deploymentView> {
  return {
    id: d.id,
    number: d.number,
    state: d.state,
    trigger: d.trigger,
    ref: d.ref,
    commitSha: d.commitSha,
    image: d.image,
    url: d.url,
    reason: d.reason,
    port: d.port,
    restarts: d.restarts,
    conditions: [...d.conditions],
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
  };
}

export function appUrl(template: string, name: string): string {
  return template.replaceAll("{app}", name);
}

export function toAppView(app: App, latest: Deployment | null, urlTemplate: string): z.infer<typeof appView> {
  return {
    id: app.id,
    name: app.name,
    url: appUrl(urlTemplate, app.name),
    repository: { ...app.repository },
    port: app.port,
    buildSettings: { ...app.buildSettings },
    stopped: app.stopped,
    createdAt: app.createdAt.toISOString(),
    updatedAt: app.updatedAt.toISOString(),
    latestDeployment: latest ? toDeploymentView(latest) : null,
  };
}
