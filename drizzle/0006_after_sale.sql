CREATE TABLE "order_ledger" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "order_ledger_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"session_id" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"line_item_id" text,
	"access" text,
	"previous_access" text,
	"amount_refunded" bigint,
	"refund_state" text,
	"dispute_status" text,
	"stripe_object" text,
	"event_id" text,
	"trigger" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "order_ledger_kind_check" CHECK ("order_ledger"."kind" in ('fulfilled','refund','dispute','access'))
);
--> statement-breakpoint
ALTER TABLE "checkout_line_items" ADD COLUMN "access" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "checkout_line_items" ADD COLUMN "access_cause" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "payment_intent" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "amount_refunded" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "refund_state" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "dispute_status" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "access" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "after_sale_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "after_sale_facts" jsonb;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "after_sale_read_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_grants" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "order_ledger" ADD CONSTRAINT "order_ledger_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "order_ledger_session_idx" ON "order_ledger" USING btree ("session_id","seq");--> statement-breakpoint
CREATE INDEX "checkout_sessions_payment_intent_idx" ON "checkout_sessions" USING btree ("payment_intent");