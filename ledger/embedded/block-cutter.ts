/**
 * Orders endorsed transactions into blocks, cut by count or by time like Fabric's orderer
 * (`MaxMessageCount`, `BatchTimeout`): a block is cut as soon as `maxTransactions` are pending,
 * or when the oldest pending transaction has waited `timeoutMs` (or, with `cutWhenIdle`, as soon as
 * no block is being committed). Blocks are committed one at a
 * time, in order; transactions that arrive during a commit wait for the next block.
 */
export interface BlockCutterOptions {
  readonly maxTransactions: number;
  readonly timeoutMs: number;
  /**
   * Also cut as soon as the committer is idle (group commit): under load, blocks grow to what
   * arrived during the previous commit; under light load nothing waits for the timeout. Fabric's
   * orderer has no such rule (its blocks cost a consensus round); here a block costs one fsync.
   */
  readonly cutWhenIdle: boolean;
}

export class BlockCutter<T> {
  readonly #options: BlockCutterOptions;
  readonly #commit: (batch: T[]) => Promise<void>;
  #pending: Array<{ readonly item: T; readonly at: number }> = [];
  #timer: NodeJS.Timeout | undefined;
  #committing: Promise<void> | undefined;

  /** `commit` must settle every transaction of the batch itself and never reject. */
  constructor(options: BlockCutterOptions, commit: (batch: T[]) => Promise<void>) {
    this.#options = options;
    this.#commit = commit;
  }

  get pending(): number {
    return this.#pending.length;
  }

  enqueue(item: T): void {
    this.#pending.push({ item, at: performance.now() });
    this.#schedule();
  }

  /** Resolves once every transaction enqueued so far is committed. */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#committing) {
      if (!this.#committing) this.#cut();
      await this.#committing;
    }
  }

  #schedule(): void {
    if (this.#committing || this.#pending.length === 0) return;
    const waited = performance.now() - (this.#pending[0] as { at: number }).at;
    if (this.#options.cutWhenIdle || this.#pending.length >= this.#options.maxTransactions || waited >= this.#options.timeoutMs) {
      this.#cut();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#schedule();
      }, this.#options.timeoutMs - waited);
    }
  }

  #cut(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#pending.splice(0, this.#options.maxTransactions).map((entry) => entry.item);
    this.#committing = this.#commit(batch).finally(() => {
      this.#committing = undefined;
      this.#schedule();
    });
  }
}
