ALTER TABLE "apps" ADD COLUMN "build_settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "env_vars" ADD COLUMN "build" boolean DEFAULT false NOT NULL;