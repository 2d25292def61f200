/**
 * Runs tasks that share a key one at a time (within this process), tasks with different keys
 * concurrently. The material routes use it so that putting a blob, registering it and — on a
 * refusal — removing it again is never interleaved with another upload of the same bytes.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every earlier task of `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      // The last task of a key removes it, so the map does not grow.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
