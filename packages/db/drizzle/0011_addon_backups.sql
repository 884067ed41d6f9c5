CREATE TABLE "addon_backups" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"addon_id" text,
	"database" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"detail" text,
	"size_bytes" bigint,
	"location" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "addons" ADD COLUMN "restore_backup_id" text;--> statement-breakpoint
ALTER TABLE "addons" ADD COLUMN "restore_status" text;--> statement-breakpoint
ALTER TABLE "addons" ADD COLUMN "restore_detail" text;--> statement-breakpoint
ALTER TABLE "addon_backups" ADD CONSTRAINT "addon_backups_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "addon_backups" ADD CONSTRAINT "addon_backups_addon_id_addons_id_fk" FOREIGN KEY ("addon_id") REFERENCES "public"."addons"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "addon_backups_addon_idx" ON "addon_backups" USING btree ("addon_id","created_at");--> statement-breakpoint
CREATE INDEX "addon_backups_pending_idx" ON "addon_backups" USING btree ("status") WHERE "addon_backups"."status" in ('requested', 'running');