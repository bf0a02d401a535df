import type { Config } from '../config/index.js';
import type { AfterSaleSettings } from '../run/apply-after-sale.js';

/** What after-sale changes need from the configuration: the policy, and the receipt's receivers for announcements. */
export function afterSaleSettings(config: Config): AfterSaleSettings {
  return { disputePolicy: config.afterSale.disputePolicy, callbackUrls: config.effects.callbackUrls, emailOn: config.effects.smtpUrl !== undefined };
}
