ALTER TABLE "deployments" ADD COLUMN "port" integer;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "restarts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "conditions" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
-- Releases deployed before this column existed kept their port in their newest DeployRequested outbox row.
UPDATE "deployments" AS d SET "port" = (
  SELECT ("o"."payload"->>'port')::integer FROM "outbox" AS o
  WHERE "o"."queue" = 'DEPLOY' AND "o"."payload"->>'deploymentId' = d."id"
  ORDER BY "o"."seq" DESC LIMIT 1
) WHERE d."port" IS NULL;
