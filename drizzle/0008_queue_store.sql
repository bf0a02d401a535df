CREATE TABLE "expiring_flags" (
	"key" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" varchar(255) PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" bigint
);
--> statement-breakpoint
CREATE TABLE "stripe_slots" (
	"key" text PRIMARY KEY NOT NULL,
	"next_free" double precision NOT NULL
);
--> statement-breakpoint
CREATE INDEX "expiring_flags_expires_at_idx" ON "expiring_flags" USING btree ("expires_at");