CREATE TABLE "checkout_line_items" (
	"session_id" text NOT NULL,
	"id" text NOT NULL,
	"position" integer NOT NULL,
	"price_id" text,
	"product_id" text,
	"description" text,
	"quantity" integer,
	"unit_amount" bigint,
	"amount_subtotal" bigint NOT NULL,
	"amount_discount" bigint NOT NULL,
	"amount_tax" bigint NOT NULL,
	"amount_total" bigint NOT NULL,
	"currency" text NOT NULL,
	"fulfilled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkout_line_items_session_id_id_pk" PRIMARY KEY("session_id","id")
);
--> statement-breakpoint
CREATE TABLE "checkout_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"account" text,
	"status" text NOT NULL,
	"payment_status" text NOT NULL,
	"stripe_status" text,
	"livemode" boolean NOT NULL,
	"customer_email" text,
	"customer_name" text,
	"currency" text,
	"amount_subtotal" bigint,
	"amount_total" bigint,
	"stripe_created_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fulfilled_at" timestamp with time zone,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"last_trigger" text,
	"last_event_id" text,
	CONSTRAINT "checkout_sessions_status_check" CHECK ("checkout_sessions"."status" in ('pending','awaiting_payment','fulfilled','payment_failed','expired'))
);
--> statement-breakpoint
ALTER TABLE "checkout_line_items" ADD CONSTRAINT "checkout_line_items_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "checkout_sessions_status_idx" ON "checkout_sessions" USING btree ("status");