// Preloaded with `node --import` by the tracing test: prints a line for every OpenTelemetry module the
// process loads (ESM or CommonJS, through Node's synchronous module hooks), so a test can tell that a
// process with tracing off never loaded the SDK.
import { registerHooks } from 'node:module';
import process from 'node:process';

const OTEL = /[\\/]node_modules[\\/](@opentelemetry[\\/][^\\/]+|bullmq-otel|@fastify[\\/]otel)[\\/]/;
const seen = new Set();
registerHooks({
  load(url, context, next) {
    const m = OTEL.exec(url);
    if (m !== null && !seen.has(m[1])) {
      seen.add(m[1]);
      process.stderr.write(`otel module loaded: ${m[1]}\n`);
    }
    return next(url, context);
  },
});
