CREATE TABLE "reconcile_cursors" (
	"account" text PRIMARY KEY NOT NULL,
	"after_sale_pass_started_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "checkout_sessions_account_idx" ON "checkout_sessions" USING btree ("account") WHERE "checkout_sessions"."account" is not null;