CREATE SEQUENCE "public"."maintenance_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "maintenance" (
	"id" uuid PRIMARY KEY NOT NULL,
	"number" integer NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"status" text NOT NULL,
	"visibility" text NOT NULL,
	"components" text[] DEFAULT '{}'::text[] NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"scheduled_until" timestamp with time zone NOT NULL,
	"source_lang" text NOT NULL,
	"created_by" text NOT NULL,
	"created_by_name" text NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"reminded_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "maintenance_number_unique" UNIQUE("number"),
	CONSTRAINT "maintenance_status_check" CHECK ("maintenance"."status" in ('scheduled', 'in_progress', 'verifying', 'completed', 'cancelled')),
	CONSTRAINT "maintenance_visibility_check" CHECK ("maintenance"."visibility" in ('public', 'private')),
	CONSTRAINT "maintenance_window_check" CHECK ("maintenance"."scheduled_until" > "maintenance"."scheduled_for")
);
--> statement-breakpoint
CREATE TABLE "maintenance_update" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"maintenance_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"scheduled_until" timestamp with time zone NOT NULL,
	"note" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "maintenance_update_kind_check" CHECK ("maintenance_update"."kind" in ('scheduled', 'reminder', 'started', 'verifying', 'completed', 'updated', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "maintenance_update" ADD CONSTRAINT "maintenance_update_maintenance_id_maintenance_id_fk" FOREIGN KEY ("maintenance_id") REFERENCES "public"."maintenance"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "maintenance_status_idx" ON "maintenance" USING btree ("status","scheduled_for");--> statement-breakpoint
CREATE INDEX "maintenance_update_maintenance_idx" ON "maintenance_update" USING btree ("maintenance_id","seq");