CREATE TABLE "order_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "order_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"session_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"actor" text,
	"event_id" text,
	"detail" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "order_history_session_idx" ON "order_history" USING btree ("session_id","id");--> statement-breakpoint
CREATE INDEX "order_history_event_idx" ON "order_history" USING btree ("event_id") WHERE "order_history"."event_id" is not null;--> statement-breakpoint
CREATE INDEX "order_history_at_idx" ON "order_history" USING btree ("at");--> statement-breakpoint
CREATE INDEX "checkout_sessions_email_idx" ON "checkout_sessions" USING btree (lower("customer_email"));