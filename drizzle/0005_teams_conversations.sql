CREATE TABLE "teams_conversation" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid,
	"purpose" text NOT NULL,
	"state" text NOT NULL,
	"service_url" text NOT NULL,
	"tenant_id" text,
	"bot_id" text NOT NULL,
	"bot_name" text,
	"team_id" text,
	"channel_id" text,
	"owns_channel" boolean DEFAULT false NOT NULL,
	"conversation_id" text,
	"root_activity_id" text,
	"header_activity_id" text,
	"header_version" integer DEFAULT 0 NOT NULL,
	"header_sent_version" integer DEFAULT 0 NOT NULL,
	"leased_until" timestamp with time zone,
	"retry_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "teams_conversation_purpose_check" CHECK ("teams_conversation"."purpose" in ('incident', 'incidents', 'channel')),
	CONSTRAINT "teams_conversation_state_check" CHECK ("teams_conversation"."state" in ('opening', 'open', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "teams_message" (
	"id" uuid PRIMARY KEY NOT NULL,
	"conversation_id" uuid NOT NULL,
	"seq" bigserial NOT NULL,
	"activity" jsonb NOT NULL,
	"activity_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"sent_version" integer DEFAULT 0 NOT NULL,
	"failed_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "teams_conversation" ADD CONSTRAINT "teams_conversation_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "teams_message" ADD CONSTRAINT "teams_message_conversation_id_teams_conversation_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."teams_conversation"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "teams_conversation_incident_idx" ON "teams_conversation" USING btree ("incident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "teams_conversation_conversation_idx" ON "teams_conversation" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "teams_conversation_channel_idx" ON "teams_conversation" USING btree ("channel_id");--> statement-breakpoint
CREATE INDEX "teams_message_conversation_idx" ON "teams_message" USING btree ("conversation_id","seq");