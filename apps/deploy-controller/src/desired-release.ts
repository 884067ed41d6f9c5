import { autoscaleOf, type Deployment, type FormationDefaults, formationOf } from "@kli8nt/core";
import { type Db, listCronJobs, resolveEnv, type SecretBox, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import type { DesiredRelease } from "./runtime-port.ts";

/** The release's recorded facts beside the Deployment view: what it runs and before it runs. */
export interface ReleaseFacts {
  readonly processes: Record<string, string | null> | null;
  readonly releaseCommand: string | null;
}

async function factsOf(db: Db, deploymentId: string): Promise<ReleaseFacts & { rollbackOf: string | null }> {
  const [row] = await db
    .select({
      processes: schema.deployments.processes,
      releaseCommand: schema.deployments.releaseCommand,
      rollbackOf: schema.deployments.rollbackOf,
    })
    .from(schema.deployments)
    .where(eq(schema.deployments.id, deploymentId));
  return row ?? { processes: null, releaseCommand: null, rollbackOf: null };
}

/** A rollback runs what the release it goes back to ran (its processes were recorded with that build). */
export async function releaseFacts(db: Db, deploymentId: string): Promise<ReleaseFacts> {
  const own = await factsOf(db, deploymentId);
  if (own.processes !== null || own.rollbackOf === null) return own;
  const back = await factsOf(db, own.rollbackOf);
  return { processes: back.processes, releaseCommand: own.releaseCommand };
}

/**
 * What the runtime should run for a deployment: its image, port and process types, the app's formation
 * (counts and sizes, stopped, last restart request), health-check path and current variables.
 */
export async function desiredRelease(
  db: Db,
  box: SecretBox,
  d: Pick<Deployment, "id" | "appId" | "image" | "port">,
  defaults: FormationDefaults,
): Promise<(DesiredRelease & { releaseCommand: string | null }) | null> {
  const [app] = await db.select().from(schema.apps).where(eq(schema.apps.id, d.appId));
  if (!app || !d.image) return null;
  const facts = await releaseFacts(db, d.id);
  const env = Object.fromEntries((await resolveEnv(db, box, d.appId)).map((v) => [v.key, v.value]));
  const cron = await listCronJobs(db, d.appId);
  return {
    deploymentId: d.id,
    appId: d.appId,
    appName: app.name,
    image: d.image,
    port: d.port ?? 3000,
    env,
    processes: formationOf(facts.processes, app.formation, defaults, app.stopped),
    healthPath: app.buildSettings.healthCheckPath ?? "/",
    restartedAt: app.restartedAt,
    stopped: app.stopped,
    releaseCommand: facts.releaseCommand,
    cron: cron.map((c) => ({ name: c.name, schedule: c.schedule, command: c.command })),
    autoscale: autoscaleOf(app.formation),
  };
}
