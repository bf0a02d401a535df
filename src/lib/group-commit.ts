/**
 * Group commit for one kind of single-row statement. The first call runs at once; calls made while that
 * statement is in flight wait, then go together as the next statement (at most `maxBatch` at a time). Alone,
 * a call costs what it did (no timer, no wait); under load k concurrent callers share one round trip and one
 * transaction commit (a WAL flush) instead of k. `run` answers its items in their order.
 *
 * One statement in flight per batcher: a failed statement fails the calls in it and no others.
 */
export function groupCommit<I, O>(run: (items: readonly I[]) => Promise<readonly O[]>, maxBatch: number): (item: I) => Promise<O> {
  interface Waiting {
    readonly item: I;
    readonly resolve: (out: O) => void;
    readonly reject: (err: unknown) => void;
  }
  let waiting: Waiting[] = [];
  let inFlight = false;

  const flush = (): void => {
    if (inFlight || waiting.length === 0) return;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(maxBatch);
    inFlight = true;
    const settle = async () => {
      try {
        const out = await run(batch.map((w) => w.item));
        if (out.length !== batch.length) throw new Error(`groupCommit: ${out.length} answers for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(out[i] as O));
      } catch (err) {
        for (const w of batch) w.reject(err);
      } finally {
        inFlight = false;
        flush();
      }
    };
    void settle();
  };

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      flush();
    });
}
