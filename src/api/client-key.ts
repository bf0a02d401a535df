import ipaddr from 'ipaddr.js';

/**
 * The key a per-client limit counts under: the IPv4 address (IPv4-mapped IPv6 included), or the /64
 * network of an IPv6 address. One IPv6 subscriber (a home line, a cloud VM) is given a whole /64, so
 * counting single addresses would hand an attacker 2^64 budgets. Parsed by ipaddr.js (what Fastify's
 * own proxy-addr uses); anything it cannot parse is counted as given.
 */
export function clientKey(ip: string): string {
  const address = ip.split('%')[0] ?? ip;
  if (!ipaddr.isValid(address)) return ip;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const network = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${network.join(':')}::/64`;
}
