/**
 * The Trojan Source samples (CVE-2021-42574, https://trojansource.codes/, Boucher & Anderson 2021): text
 * whose bidirectional controls make it read differently from what it is, plus the C0/C1 controls that
 * drive terminals. Each holds at least one character display-text.ts removes.
 */
export const TROJAN_SOURCE: readonly (readonly [name: string, text: string])[] = [
  ['RLO filename', 'invoice\u202Efdp.exe'],
  ['commenting-out (RLO, LRI, PDI)', '/*\u202E } \u2066if (isAdmin)\u2069 \u2066 begin admins only */'],
  ['stretched string (RLO, LRI, PDI)', 'access_level != "user\u202E \u2066// Check if admin\u2069 \u2066"'],
  ['early return (RLI, PDI)', '\u2067return;\u2069 /* nothing here */'],
  ['first-strong isolate', 'Order \u2068#1234\u2069 for \u2068Jenny\u2069'],
  ['embeddings and pop (LRE, RLE, PDF, LRO)', '\u202Aleft\u202C \u202Bright\u202C \u202Doverride\u202C'],
  ['marks (LRM, RLM, ALM)', 'price\u200E 10\u200F USD\u061C'],
  ['terminal escape and bell', 'Jenny \u001b[2J\u001b]0;pwned\u0007Rosen'],
  ['C1 CSI and NEL', 'Jenny\u009b31m Rosen\u0085'],
  ['NUL, DEL, backspace', 'Ada\u0000 Love\u007Flace\u0008'],
];
