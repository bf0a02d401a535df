import { defineDeliverer } from '../index.js';
import { licenseServer } from './license-keys.js';

/**
 * Carries license-keys.ts's `license-server` effects to the licence server, after commit, with retries: a
 * failure is returned (retry later, or permanent), never thrown; `signal` ends a slow attempt; the same
 * idempotency key on every attempt lets the server drop a duplicate.
 */
export function licenseServerDeliverer(url: string) {
  return defineDeliverer(licenseServer, {
    async deliver(effect, signal) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': effect.idempotencyKey },
          body: JSON.stringify(effect.payload),
          signal,
        });
        if (res.ok) return { outcome: 'delivered' };
        return { outcome: 'retry', code: 'license_server_status', reason: `HTTP ${res.status}` };
      } catch (err) {
        return { outcome: 'retry', code: 'license_server_unreachable', reason: (err as Error).message };
      }
    },
  });
}
