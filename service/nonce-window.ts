/**
 * Replay memory for signed requests: each nonce is remembered until its signature would be refused
 * as too old anyway, so memory holds one window of traffic and no more. The number of entries is
 * capped; when the cap is reached with every entry still live, new nonces are refused
 * (`OVERLOADED`) rather than forgetting live ones, which would let their requests be replayed.
 *
 * The memory is per process. Replicas behind one address would each accept a replay once; the
 * delivery itself stays single-use on the ledger (`consent:RecordDelivery`) whatever happens here.
 */
import { ProblemError } from './problem';

export const DEFAULT_NONCE_CAPACITY = 100_000;

export class NonceWindow {
  /** Nonce → time (ms) after which it may be forgotten. Insertion order ≈ expiry order. */
  readonly #until = new Map<string, number>();
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(options: { capacity?: number; now?: () => number } = {}) {
    this.#capacity = options.capacity ?? DEFAULT_NONCE_CAPACITY;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#until.size;
  }

  /**
   * Records `nonce` until `untilMs`; false when it is already recorded (a replay).
   * @throws ProblemError `OVERLOADED` when the memory is full of live nonces.
   */
  remember(nonce: string, untilMs: number): boolean {
    const now = this.#now();
    this.#forgetExpired(now, false);
    const known = this.#until.get(nonce);
    if (known !== undefined && known > now) return false;
    if (this.#until.size >= this.#capacity) {
      this.#forgetExpired(now, true);
      if (this.#until.size >= this.#capacity) {
        throw new ProblemError('OVERLOADED', 'too many signed requests within the replay window; retry later', { headers: { 'retry-after': '5' } });
      }
    }
    this.#until.set(nonce, untilMs);
    return true;
  }

  /** Drops expired entries: from the oldest until a live one (cheap, every call), or all of them. */
  #forgetExpired(now: number, all: boolean): void {
    for (const [nonce, until] of this.#until) {
      if (until <= now) this.#until.delete(nonce);
      else if (!all) return;
    }
  }
}
