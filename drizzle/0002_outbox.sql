CREATE TABLE "delivery_progress" (
	"update_id" uuid PRIMARY KEY NOT NULL,
	"message_ref" text,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "external_incident" (
	"incident_id" uuid NOT NULL,
	"target" text NOT NULL,
	"external_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "external_incident_incident_id_target_pk" PRIMARY KEY("incident_id","target")
);
--> statement-breakpoint
CREATE TABLE "scheduled_job" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"run_at" timestamp with time zone NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"leased_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "scheduled_job_key_unique" UNIQUE("key"),
	CONSTRAINT "scheduled_job_state_check" CHECK ("scheduled_job"."state" in ('pending', 'done', 'cancelled', 'dead'))
);
--> statement-breakpoint
ALTER TABLE "delivery_progress" ADD CONSTRAINT "delivery_progress_update_id_public_update_id_fk" FOREIGN KEY ("update_id") REFERENCES "public"."public_update"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "external_incident" ADD CONSTRAINT "external_incident_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scheduled_job_due_idx" ON "scheduled_job" USING btree ("state","run_at");