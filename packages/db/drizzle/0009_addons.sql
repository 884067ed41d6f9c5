CREATE TABLE "addons" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"type" text NOT NULL,
	"status" text DEFAULT 'provisioning' NOT NULL,
	"detail" text,
	"database" text NOT NULL,
	"role" text NOT NULL,
	"password_enc" text NOT NULL,
	"host" text,
	"port" integer,
	"size_bytes" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "addons_database_unique" UNIQUE("database"),
	CONSTRAINT "addons_role_unique" UNIQUE("role")
);
--> statement-breakpoint
ALTER TABLE "addons" ADD CONSTRAINT "addons_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "addons_app_type_idx" ON "addons" USING btree ("app_id","type");