CREATE TABLE "inbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"kind" text NOT NULL,
	"delivery_key" text NOT NULL,
	"lane" text NOT NULL,
	"payload" jsonb NOT NULL,
	"state" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"claimed_by" uuid,
	"last_error" text,
	"received_at" timestamp with time zone NOT NULL,
	"done_at" timestamp with time zone,
	CONSTRAINT "inbox_delivery_key_unique" UNIQUE("delivery_key"),
	CONSTRAINT "inbox_state_check" CHECK ("inbox"."state" in ('pending', 'done', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "sent_message" (
	"key" text PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"channel_id" text NOT NULL,
	"message_id" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lock_key" integer NOT NULL,
	"pid" integer NOT NULL,
	"host" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL,
	CONSTRAINT "worker_lock_key_unique" UNIQUE("lock_key")
);
--> statement-breakpoint
ALTER TABLE "delivery" ADD COLUMN "claimed_by" uuid;--> statement-breakpoint
ALTER TABLE "scheduled_job" ADD COLUMN "payload_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "scheduled_job" ADD COLUMN "claimed_by" uuid;--> statement-breakpoint
ALTER TABLE "teams_conversation" ADD COLUMN "claimed_by" uuid;--> statement-breakpoint
CREATE INDEX "inbox_pending_lane_idx" ON "inbox" USING btree ("lane","received_at","id") WHERE "inbox"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "inbox_done_idx" ON "inbox" USING btree ("done_at") WHERE "inbox"."state" <> 'pending';