import { defineConfig } from 'drizzle-kit';

/**
 * The service's tables (src/db/schema.ts), and every handler's own (`*.schema.ts` beside the built-ins and
 * beside the merchant's handlers). src/fulfillment/examples/ is left out: an example's table is made only
 * once its files are copied into src/fulfillment/handlers/ (README, "Write your own fulfillment").
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/db/schema.ts', './src/fulfillment/built-in/*.schema.ts', './src/fulfillment/handlers/*.schema.ts'],
  out: './drizzle',
});
