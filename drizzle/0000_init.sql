CREATE SEQUENCE "public"."incident_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "action_item" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"text" text NOT NULL,
	"owner_id" text,
	"owner_name" text,
	"done" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_event" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_platform" text NOT NULL,
	"actor_id" text NOT NULL,
	"action" text NOT NULL,
	"incident_id" uuid,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_ref" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid,
	"platform" text NOT NULL,
	"purpose" text NOT NULL,
	"channel_id" text NOT NULL,
	"team_id" text,
	"conversation_ref" jsonb,
	"header_message_id" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chat_ref_purpose_check" CHECK ("chat_ref"."purpose" in ('incident', 'announcement', 'incidents'))
);
--> statement-breakpoint
CREATE TABLE "command_receipt" (
	"key" text PRIMARY KEY NOT NULL,
	"verb" text NOT NULL,
	"incident_id" uuid,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "component" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"names" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"statuspage_id" text,
	"position" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "delivery" (
	"id" uuid PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"update_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"target" text NOT NULL,
	"subscriber_id" uuid,
	"state" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "delivery_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "delivery_state_check" CHECK ("delivery"."state" in ('pending', 'delivered', 'failed', 'dead', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "incident" (
	"id" uuid PRIMARY KEY NOT NULL,
	"number" integer NOT NULL,
	"title" text NOT NULL,
	"summary" text,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"visibility" text NOT NULL,
	"declared_by" text NOT NULL,
	"declared_by_name" text NOT NULL,
	"source_lang" text NOT NULL,
	"remind_minutes" integer,
	"upstream" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "incident_number_unique" UNIQUE("number"),
	CONSTRAINT "incident_severity_check" CHECK ("incident"."severity" in ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
	CONSTRAINT "incident_status_check" CHECK ("incident"."status" in ('investigating', 'identified', 'monitoring', 'resolved', 'closed')),
	CONSTRAINT "incident_visibility_check" CHECK ("incident"."visibility" in ('public', 'private'))
);
--> statement-breakpoint
CREATE TABLE "incident_component" (
	"incident_id" uuid NOT NULL,
	"component_id" text NOT NULL,
	"impact" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	CONSTRAINT "incident_component_incident_id_component_id_pk" PRIMARY KEY("incident_id","component_id"),
	CONSTRAINT "incident_component_impact_check" CHECK ("incident_component"."impact" in ('degraded_performance', 'partial_outage', 'major_outage'))
);
--> statement-breakpoint
CREATE TABLE "incident_role" (
	"incident_id" uuid NOT NULL,
	"role" text NOT NULL,
	"user_id" text NOT NULL,
	"user_name" text NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL,
	CONSTRAINT "incident_role_incident_id_role_pk" PRIMARY KEY("incident_id","role")
);
--> statement-breakpoint
CREATE TABLE "key_moment" (
	"incident_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"set_by" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "key_moment_incident_id_kind_pk" PRIMARY KEY("incident_id","kind"),
	CONSTRAINT "key_moment_kind_check" CHECK ("key_moment"."kind" in ('started', 'detected', 'declared', 'first_public', 'mitigated', 'resolved', 'closed'))
);
--> statement-breakpoint
CREATE TABLE "postmortem" (
	"incident_id" uuid NOT NULL,
	"lang" text NOT NULL,
	"markdown" text NOT NULL,
	"generated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "postmortem_incident_id_lang_pk" PRIMARY KEY("incident_id","lang")
);
--> statement-breakpoint
CREATE TABLE "public_update" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"status" text NOT NULL,
	"body" text NOT NULL,
	"source_lang" text NOT NULL,
	"state" text NOT NULL,
	"author_id" text NOT NULL,
	"author_name" text NOT NULL,
	"approved_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "public_update_state_check" CHECK ("public_update"."state" in ('draft', 'published', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "public_update_translation" (
	"update_id" uuid NOT NULL,
	"lang" text NOT NULL,
	"body" text NOT NULL,
	"origin" text NOT NULL,
	"translator" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "public_update_translation_update_id_lang_pk" PRIMARY KEY("update_id","lang"),
	CONSTRAINT "public_update_translation_origin_check" CHECK ("public_update_translation"."origin" in ('machine', 'human', 'approved'))
);
--> statement-breakpoint
CREATE TABLE "responder" (
	"incident_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"user_name" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	CONSTRAINT "responder_incident_id_user_id_pk" PRIMARY KEY("incident_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "subscriber" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"address" text NOT NULL,
	"lang" text NOT NULL,
	"time_zone" text NOT NULL,
	"components" text[] DEFAULT '{}'::text[] NOT NULL,
	"secret" text,
	"confirmed" boolean DEFAULT false NOT NULL,
	"confirm_token" text,
	"unsubscribe_token" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subscriber_kind_check" CHECK ("subscriber"."kind" in ('email', 'webhook', 'slack', 'teams'))
);
--> statement-breakpoint
CREATE TABLE "timeline_entry" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"incident_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"author_id" text NOT NULL,
	"author_name" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"text" text,
	"source_lang" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "upstream_follow" (
	"id" uuid PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"created_by" text NOT NULL,
	"etag" text,
	"last_polled_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "upstream_follow_url_unique" UNIQUE("url")
);
--> statement-breakpoint
ALTER TABLE "action_item" ADD CONSTRAINT "action_item_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_ref" ADD CONSTRAINT "chat_ref_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery" ADD CONSTRAINT "delivery_update_id_public_update_id_fk" FOREIGN KEY ("update_id") REFERENCES "public"."public_update"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery" ADD CONSTRAINT "delivery_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery" ADD CONSTRAINT "delivery_subscriber_id_subscriber_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscriber"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_component" ADD CONSTRAINT "incident_component_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_component" ADD CONSTRAINT "incident_component_component_id_component_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."component"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_role" ADD CONSTRAINT "incident_role_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_moment" ADD CONSTRAINT "key_moment_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postmortem" ADD CONSTRAINT "postmortem_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_update" ADD CONSTRAINT "public_update_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_update_translation" ADD CONSTRAINT "public_update_translation_update_id_public_update_id_fk" FOREIGN KEY ("update_id") REFERENCES "public"."public_update"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "responder" ADD CONSTRAINT "responder_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "timeline_entry" ADD CONSTRAINT "timeline_entry_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "action_item_incident_idx" ON "action_item" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "audit_event_incident_idx" ON "audit_event" USING btree ("incident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_ref_platform_channel_idx" ON "chat_ref" USING btree ("platform","channel_id");--> statement-breakpoint
CREATE INDEX "chat_ref_incident_idx" ON "chat_ref" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "delivery_update_idx" ON "delivery" USING btree ("update_id","state");--> statement-breakpoint
CREATE INDEX "incident_status_idx" ON "incident" USING btree ("status");--> statement-breakpoint
CREATE INDEX "public_update_incident_idx" ON "public_update" USING btree ("incident_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriber_kind_address_idx" ON "subscriber" USING btree ("kind","address");--> statement-breakpoint
CREATE INDEX "timeline_entry_incident_idx" ON "timeline_entry" USING btree ("incident_id","occurred_at","seq");