CREATE TABLE "sign_in_approvals" (
	"login" text PRIMARY KEY NOT NULL,
	"github_id" bigint,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" text
);
--> statement-breakpoint
ALTER TABLE "sign_in_approvals" ADD CONSTRAINT "sign_in_approvals_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;