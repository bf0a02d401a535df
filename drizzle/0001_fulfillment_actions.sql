CREATE TABLE "access_grants" (
	"session_id" text NOT NULL,
	"line_item_id" text NOT NULL,
	"product_id" text,
	"product_name" text,
	"access_code" text NOT NULL,
	"customer_email" text,
	"granted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "access_grants_session_id_line_item_id_pk" PRIMARY KEY("session_id","line_item_id")
);
--> statement-breakpoint
CREATE TABLE "shipments" (
	"session_id" text NOT NULL,
	"line_item_id" text NOT NULL,
	"product_id" text,
	"quantity" integer NOT NULL,
	"ship_to_name" text,
	"address" jsonb,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "shipments_session_id_line_item_id_pk" PRIMARY KEY("session_id","line_item_id")
);
--> statement-breakpoint
ALTER TABLE "access_grants" ADD CONSTRAINT "access_grants_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;