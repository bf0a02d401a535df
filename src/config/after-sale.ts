import { z } from 'zod';

/** The values of the domain's DisputePolicy (domain/after-sale-policy.ts; config imports nothing of the service, the types meet where it is passed). */
const DISPUTE_POLICIES = ['suspend', 'revoke', 'ignore'] as const;
type DisputePolicy = (typeof DISPUTE_POLICIES)[number];

/** After the sale: what refunds and disputes do to what fulfillment granted (domain/after-sale-policy.ts). */
export const afterSaleVariables = {
  /** What an open dispute does to the order's items: `suspend` (default), `revoke`, or `ignore`. */
  DISPUTE_POLICY: z.enum(DISPUTE_POLICIES, { message: `one of ${DISPUTE_POLICIES.join(', ')}` }).default('suspend'),
};

export interface AfterSaleConfig {
  readonly disputePolicy: DisputePolicy;
}

export function afterSaleConfig(e: z.infer<z.ZodObject<typeof afterSaleVariables>>): AfterSaleConfig {
  return { disputePolicy: e.DISPUTE_POLICY };
}
