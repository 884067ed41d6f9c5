import { PROCESS_TYPE } from "@kli8nt/core";
import { z } from "zod";
import { cpuProblem, memoryProblem } from "../limits/quantities.ts";

const processType = z
  .string()
  .max(30)
  .regex(PROCESS_TYPE, "a process type is lowercase letters, digits and dashes, starting with a letter");

const memory = z
  .string()
  .max(16)
  .superRefine((value, ctx) => {
    const problem = memoryProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const cpu = z
  .string()
  .max(16)
  .superRefine((value, ctx) => {
    const problem = cpuProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** web's autoscaler on Kubernetes (ADR 0207): replicas between min and max on CPU utilisation. */
export const autoscale = z
  .strictObject({
    min: z.number().int().min(1).max(1000).describe("Fewest replicas"),
    max: z.number().int().min(1).max(1000).describe("Most replicas"),
    targetCpu: z
      .number()
      .int()
      .min(10)
      .max(100)
      .describe("Target average CPU utilisation, in percent of the process's CPU"),
  })
  .refine((a) => a.min <= a.max, { message: "min must not exceed max", path: ["min"] });

/** One process type's change: a value sets, null goes back to the platform's default, absent keeps. */
export const processChange = z.strictObject({
  type: processType,
  count: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .nullable()
    .optional()
    .describe("Instances to run; 0 stops the type"),
  memory: memory.nullable().optional().describe("Memory per instance, 128Mi to 8Gi"),
  cpu: cpu.nullable().optional().describe("CPU per instance, 0.1 to 4 cores (or 100m to 4000m)"),
  autoscale: autoscale
    .nullable()
    .optional()
    .describe(
      "web only, Kubernetes only: an autoscaler instead of a fixed count; it needs the cluster's metrics API. null removes it",
    ),
});
export type ProcessChange = z.infer<typeof processChange>;

export const formationPatchBody = z.strictObject({
  processes: z
    .array(processChange)
    .min(1)
    .max(16)
    .refine((list) => new Set(list.map((p) => p.type)).size === list.length, {
      message: "each process type at most once",
    })
    .refine(
      (list) => list.every((p) => p.autoscale === undefined || p.autoscale === null || p.type === "web"),
      {
        message: "only web can autoscale (on CPU, behind its Service)",
      },
    ),
});

export const formationView = z.object({
  /** Stopped by the user: nothing runs until `POST …/start`, which brings back these counts. */
  stopped: z.boolean(),
  processes: z.array(
    z.object({
      type: z.string(),
      /** The count the app runs when started. */
      count: z.number().int(),
      memory: z.string(),
      cpu: z.string(),
      /** Shell command, or null for the image's own CMD. */
      command: z.string().nullable(),
      /** web's autoscaler when one is set (applied on Kubernetes with the metrics API only). */
      autoscale: z.object({ min: z.number(), max: z.number(), targetCpu: z.number() }).optional(),
    }),
  ),
});
