CREATE TABLE "fulfillment_failures" (
	"session_id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"detail" text NOT NULL,
	"job_id" text,
	"last_trigger" text,
	"failures" integer DEFAULT 1 NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL
);
