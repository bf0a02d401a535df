CREATE TABLE "effect_targets_disabled" (
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"reason" text NOT NULL,
	"disabled_at" timestamp with time zone NOT NULL,
	CONSTRAINT "effect_targets_disabled_kind_target_pk" PRIMARY KEY("kind","target")
);
--> statement-breakpoint
CREATE TABLE "fulfillment_effects" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fulfillment_effects_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"session_id" text NOT NULL,
	"scope" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone,
	"enqueued_at" timestamp with time zone,
	"last_code" text,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "fulfillment_effects_key" UNIQUE("session_id","scope","kind","target"),
	CONSTRAINT "fulfillment_effects_status_check" CHECK ("fulfillment_effects"."status" in ('pending','delivered','dead','skipped'))
);
--> statement-breakpoint
CREATE TABLE "fulfillment_notes" (
	"session_id" text NOT NULL,
	"position" integer NOT NULL,
	"line_item_id" text,
	"handler" text NOT NULL,
	"text" text NOT NULL,
	CONSTRAINT "fulfillment_notes_session_id_position_pk" PRIMARY KEY("session_id","position")
);
--> statement-breakpoint
ALTER TABLE "fulfillment_effects" ADD CONSTRAINT "fulfillment_effects_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment_notes" ADD CONSTRAINT "fulfillment_notes_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fulfillment_effects_pending_idx" ON "fulfillment_effects" USING btree ("next_attempt_at") WHERE "fulfillment_effects"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "fulfillment_effects_status_idx" ON "fulfillment_effects" USING btree ("status","kind");