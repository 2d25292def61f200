/**
 * A queue of requests for a worker thread that calls its owner back once per turn of the event
 * loop, after everything asked within that turn has been queued — so that requests made together
 * travel together, in one message.
 *
 * Why: a message to a worker costs the event loop more than the bytes in it (~15–20 µs of job
 * set-up per node:crypto call against ~1–2 µs per item of a batch). The owner decides what a
 * batch is: all of the queue, or a share of it per free thread (the rest waits in the queue
 * until a thread answers and the owner calls {@link SameTurnQueue.take} again).
 *
 * @example
 * ```ts
 * const queue = new SameTurnQueue<Request>(() => send(queue.take()));
 * queue.push(request); // `send` runs once, with every request pushed in this turn
 * ```
 */
export class SameTurnQueue<T> {
  #items: T[] = [];
  #scheduled = false;
  readonly #onTurnEnd: () => void;

  /** @param onTurnEnd called (via `setImmediate`) after a turn in which something was pushed. */
  constructor(onTurnEnd: () => void) {
    this.#onTurnEnd = onTurnEnd;
  }

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#items.length > 0) this.#onTurnEnd();
    });
  }

  /** Removes and returns the first `count` items waiting (default: all of them). */
  take(count = this.#items.length): T[] {
    if (count >= this.#items.length) {
      const items = this.#items;
      this.#items = [];
      return items;
    }
    return this.#items.splice(0, count);
  }
}
