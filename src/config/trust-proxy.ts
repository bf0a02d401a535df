import ipaddr from 'ipaddr.js';

/**
 * Whose `X-Forwarded-For` the api believes (TRUST_PROXY): nobody (`false`), a number of proxy hops in front
 * of it, or the proxies' own addresses and CIDRs. Never everyone: with `true` Fastify takes the leftmost
 * address, which the client writes, so any client could pick its address for the rate limits, the landing
 * caps and the operator login lockout (issue 23).
 */
export type TrustProxy = false | number | readonly string[];

/** The one line an operator gets for `TRUST_PROXY=true`: what to give instead. */
export const TRUST_PROXY_TRUE_REFUSED =
  "true would let every client pick its own address with X-Forwarded-For; give your proxies' addresses or CIDRs " +
  '(e.g. 10.0.0.5,10.1.0.0/16, or loopback, uniquelocal), or a hop count such as 1 when the api is reachable only through the proxy';

/** The most hops believed: more proxies than this in a row is a misconfiguration, not a deployment. */
export const MAX_PROXY_HOPS = 10;

/** proxy-addr's names (what Fastify understands), spelled out so the connection cap matches the same set. */
const NAMED = new Map<string, readonly string[]>([
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['linklocal', ['169.254.0.0/16', 'fe80::/10']],
  ['uniquelocal', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']],
]);

/** An address or CIDR as an operator writes it: dotted-quad IPv4 (no `010.1`, no `0x1`) or IPv6, optional `/bits`. */
function toCidr(entry: string): string | undefined {
  const [address = '', bits, extra] = entry.split('/');
  if (extra !== undefined) return undefined;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!v4 && !ipaddr.IPv6.isValid(address)) return undefined;
  const max = v4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Infinity;
  if (prefix > max) return undefined;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address, as peers are compared (ipaddr.process).
  const ip = ipaddr.parse(address);
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) return prefix >= 96 ? `${ip.toIPv4Address().toString()}/${prefix - 96}` : undefined;
  return ipaddr.parseCIDR(`${ip.toString()}/${prefix}`).toString();
}

/** Parses TRUST_PROXY; `problem` says what is wrong, in words for the start-up line. */
export function parseTrustProxy(raw: string): { value?: TrustProxy; problem?: string } {
  const text = raw.trim();
  if (text === 'false') return { value: false };
  if (text === 'true') return { problem: TRUST_PROXY_TRUE_REFUSED };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_PROXY_HOPS) return { problem: `at most ${MAX_PROXY_HOPS} proxy hops` };
    return { value: hops === 0 ? false : hops };
  }
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) return { problem: 'false, a hop count, or proxy addresses/CIDRs, comma-separated' };
  const cidrs: string[] = [];
  for (const entry of entries) {
    const named = NAMED.get(entry.toLowerCase());
    const parsed = named ?? (entry.length <= 64 ? [toCidr(entry)] : [undefined]);
    if (parsed.some((c) => c === undefined)) {
      return { problem: `"${entry.slice(0, 64)}" is not an IP address or CIDR (e.g. 10.0.0.5, 10.1.0.0/16, fd00::/8, loopback)` };
    }
    cidrs.push(...(parsed as string[]));
  }
  return { value: cidrs };
}

/**
 * Whether a peer is one of the trusted proxies: their connections are many clients' and are exempt from the
 * per-client connection cap. With a hop count every peer counts as a proxy (that is what a hop count says).
 */
export function proxyMatcher(trust: TrustProxy): (address: string) => boolean {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return () => true;
  const ranges = trust.map((c) => ipaddr.parseCIDR(c));
  return (address) => {
    const bare = address.split('%')[0] ?? address;
    if (!ipaddr.isValid(bare)) return false;
    const ip = ipaddr.process(bare);
    return ranges.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits));
  };
}
