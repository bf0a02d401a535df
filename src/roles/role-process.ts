/**
 * What every process role returns: built (connections created, nothing listening, no job taken), then
 * `start` (migrate, check dependencies, listen, take jobs) and `stop` (drain and close, in reverse).
 * Entry points (boot.ts), `npm start`, the CLI and the test helpers all drive roles through this.
 */
export interface RoleProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Closers run in reverse order of registration, each once, the rest even when one fails:
 * what was opened last closes first. A role registers a closer right after opening a resource.
 */
export class Closers {
  private readonly list: { name: string; close: () => Promise<unknown> }[] = [];

  add(name: string, close: () => Promise<unknown>): void {
    this.list.push({ name, close });
  }

  async closeAll(onError: (name: string, err: unknown) => void): Promise<void> {
    for (const { name, close } of this.list.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        onError(name, err);
      }
    }
  }
}
