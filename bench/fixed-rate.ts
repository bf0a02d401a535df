import { Agent, request } from 'node:http';

export interface FixedRateResult {
  readonly sent: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * An open-loop load at a fixed rate: request i starts at t0 + i/rate whatever the answers before it,
 * over at most `connections` keep-alive sockets. Latency is from the moment a request is due, so a
 * slow server is not flattered by the generator waiting for it (no coordinated omission).
 */
export async function fixedRate(
  url: string,
  bodies: readonly { body: string; signature: string }[],
  opts: { rate: number; seconds: number; connections: number },
): Promise<FixedRateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const target = new URL(url);
  const total = Math.min(bodies.length, Math.round(opts.rate * opts.seconds));
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const t0 = performance.now();
  const runs: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const e = bodies[i] as { body: string; signature: string };
    runs.push(
      new Promise<void>((resolve) => {
        const req = request(
          { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': e.signature } },
          (res) => {
            res.resume();
            res.on('end', () => {
              latencies.push(performance.now() - due);
              if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) ok++;
              else non2xx++;
              resolve();
            });
          },
        );
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(e.body);
      }),
    );
  }
  await Promise.all(runs);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN).toFixed(2));
  return { sent: total, ok, non2xx, errors, p50: pct(0.5), p99: pct(0.99) };
}
