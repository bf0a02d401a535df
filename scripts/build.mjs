// `npm run build`: compiles src/ into dist/ with tsc (tsconfig.build.json), from scratch, and records a
// digest of what it compiled. `--if-stale` (the pre-script of every start script) rebuilds only when the
// sources differ from that digest, so a start can never run output older than its sources; the check
// costs a hash of a few hundred kilobytes, where even a no-op `tsc --incremental` takes seconds.
// Plain JavaScript on purpose: it has to run before anything is compiled.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.source-digest');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => (d.isDirectory() ? files(join(path, d.name)) : [join(path, d.name)]));
}

/** A digest of every input's path and content: any edit, addition or removal changes it. */
export function sourceDigest() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((p) => files(join(ROOT, p)))) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

export function isStale() {
  return !existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== sourceDigest();
}

/** Builds dist/ from scratch (no leftovers of deleted sources); throws when tsc fails. */
export function build() {
  const digest = sourceDigest();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) throw new Error('dist/ is missing or older than src/, and TypeScript is not installed: run "npm ci" first');
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status ?? result.signal})`);
  writeFileSync(STAMP, digest);
}

export function ensureBuilt() {
  if (isStale()) build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes('--if-stale')) ensureBuilt();
    else build();
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', code: 'build_failed', msg: err instanceof Error ? err.message : String(err), fix: 'fix the TypeScript errors above (npm run typecheck)' })}\n`);
    process.exit(1);
  }
}
