CREATE TABLE "app_previews" (
	"app_id" text PRIMARY KEY NOT NULL,
	"parent_id" text NOT NULL,
	"pr_number" integer NOT NULL,
	"title" text NOT NULL,
	"pr_url" text NOT NULL,
	"head_repo" text NOT NULL,
	"head_ref" text NOT NULL,
	"head_sha" text NOT NULL,
	"fork" boolean DEFAULT false NOT NULL,
	"comment_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "previews" jsonb;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "preview_of" text;--> statement-breakpoint
ALTER TABLE "env_vars" ADD COLUMN "preview" text DEFAULT 'include' NOT NULL;--> statement-breakpoint
ALTER TABLE "github_hooks" ADD COLUMN "events" text[] DEFAULT '{push}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "app_previews" ADD CONSTRAINT "app_previews_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_previews" ADD CONSTRAINT "app_previews_parent_id_apps_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "app_previews_pr_idx" ON "app_previews" USING btree ("parent_id","pr_number");--> statement-breakpoint
ALTER TABLE "apps" ADD CONSTRAINT "apps_preview_of_apps_id_fk" FOREIGN KEY ("preview_of") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "apps_preview_of_idx" ON "apps" USING btree ("preview_of");