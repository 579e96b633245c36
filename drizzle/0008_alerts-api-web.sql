CREATE TABLE "alert_group" (
	"id" uuid PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"group_key" text NOT NULL,
	"incident_id" uuid NOT NULL,
	"status" text NOT NULL,
	"first_received_at" timestamp with time zone NOT NULL,
	"last_received_at" timestamp with time zone NOT NULL,
	"resolution_proposed_at" timestamp with time zone,
	CONSTRAINT "alert_group_status_check" CHECK ("alert_group"."status" in ('firing', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "api_idempotency" (
	"token_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"headers" jsonb,
	"body" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "api_idempotency_token_id_key_pk" PRIMARY KEY("token_id","key")
);
--> statement-breakpoint
CREATE TABLE "api_token" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_token_name_unique" UNIQUE("name"),
	CONSTRAINT "api_token_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "maintenance_external" (
	"maintenance_id" uuid NOT NULL,
	"target" text NOT NULL,
	"external_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "maintenance_external_maintenance_id_target_pk" PRIMARY KEY("maintenance_id","target")
);
--> statement-breakpoint
CREATE TABLE "web_session" (
	"id" text PRIMARY KEY NOT NULL,
	"platform" text,
	"user_id" text,
	"user_name" text NOT NULL,
	"lang" text NOT NULL,
	"time_zone" text,
	"is_admin" boolean DEFAULT false NOT NULL,
	"csrf_secret" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "web_session_identity_check" CHECK ("web_session"."is_admin" or ("web_session"."platform" is not null and "web_session"."user_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "web_sign_in" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"user_id" text NOT NULL,
	"user_name" text NOT NULL,
	"lang" text NOT NULL,
	"time_zone" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "alert_group" ADD CONSTRAINT "alert_group_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_idempotency" ADD CONSTRAINT "api_idempotency_token_id_api_token_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."api_token"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_external" ADD CONSTRAINT "maintenance_external_maintenance_id_maintenance_id_fk" FOREIGN KEY ("maintenance_id") REFERENCES "public"."maintenance"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_group_key_idx" ON "alert_group" USING btree ("source","group_key","first_received_at");--> statement-breakpoint
CREATE INDEX "alert_group_incident_idx" ON "alert_group" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "api_idempotency_created_idx" ON "api_idempotency" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "web_session_user_idx" ON "web_session" USING btree ("platform","user_id");