DROP INDEX "fulfillment_effects_pending_idx";--> statement-breakpoint
ALTER TABLE "fulfillment_effects" ADD COLUMN "sweep_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "fulfillment_effects_sweep_idx" ON "fulfillment_effects" USING btree ("sweep_at") WHERE "fulfillment_effects"."status" = 'pending';