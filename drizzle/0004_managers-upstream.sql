CREATE TABLE "incident_digest_state" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"posted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incident_reminder" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"last_nudge_at" timestamp with time zone,
	"snoozed_until" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "upstream_incident" (
	"url" text NOT NULL,
	"upstream_id" text NOT NULL,
	"incident_id" uuid NOT NULL,
	"vendor" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "upstream_incident_url_upstream_id_pk" PRIMARY KEY("url","upstream_id")
);
--> statement-breakpoint
CREATE TABLE "upstream_update" (
	"url" text NOT NULL,
	"upstream_update_id" text NOT NULL,
	"incident_id" uuid NOT NULL,
	"public_update_id" uuid,
	"imported_at" timestamp with time zone NOT NULL,
	CONSTRAINT "upstream_update_url_upstream_update_id_pk" PRIMARY KEY("url","upstream_update_id")
);
--> statement-breakpoint
ALTER TABLE "incident_digest_state" ADD CONSTRAINT "incident_digest_state_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_reminder" ADD CONSTRAINT "incident_reminder_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upstream_incident" ADD CONSTRAINT "upstream_incident_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upstream_update" ADD CONSTRAINT "upstream_update_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "upstream_incident_incident_idx" ON "upstream_incident" USING btree ("incident_id");