/**
 * Verification facts kept between verifications and dropped by the ledger's own events — the cache
 * issue 6 allows ("a cache invalidated by the ledger's events, with the block height shown in the
 * answer"). A cached answer still says the height its facts were read at.
 *
 * Why it cannot lie:
 * - every chaincode event that can change a license's facts drops them: a status change or a new
 *   version drops that license; any other event that is not known to be harmless (disputes, seals,
 *   organisations, license types, anything new) drops everything;
 * - a read that was under way while something was dropped is not stored (a generation count), so
 *   facts read before an event can never land in the cache after it;
 * - "not on the ledger" is never cached (the license may be issued the next block);
 * - when the event stream fails, everything is dropped and nothing is cached until it is back;
 * - entries also expire after `maxAgeMs` and the cache holds at most `maxEntries` (oldest out first).
 */
import type { ChaincodeEvent, CloseableAsyncIterable } from '../ledger/client';

/** Where the events come from: a ledger connection (`Gateway.getChaincodeEvents`). */
export interface ChaincodeEventSource {
  getChaincodeEvents(): Promise<CloseableAsyncIterable<ChaincodeEvent>>;
}

export interface FactsCacheOptions {
  readonly events: ChaincodeEventSource;
  /** Most entries kept (default 20,000: an entry is a few KiB of parsed facts). */
  readonly maxEntries?: number;
  /** Longest an entry is used (default 5 minutes): a bound even if an event were ever missed. */
  readonly maxAgeMs?: number;
  /** Wait before subscribing again after the stream failed (default 1 s). */
  readonly retryMs?: number;
  /** Told when the event stream fails (the cache is bypassed until it is back). */
  readonly onStreamError?: (error: unknown) => void;
  readonly now?: () => number;
}

/** Facts as read, with the ledger height the read began at. */
export interface HeightFacts<T> {
  readonly facts: T;
  readonly height: number;
}

interface Entry<T> extends HeightFacts<T> {
  readonly storedAt: number;
  readonly identifier: string;
}

/** Events that change no verification fact of an existing license. */
const HARMLESS = new Set([
  'LicenseIssued',
  'LicenseBatchIssued',
  'GrantCreated',
  'GrantRevoked',
  'MaterialUsed',
  'ReceiptDelivered',
  'MaterialRegistered',
  'MaterialWithdrawn',
]);

/** Events that change one or two licenses, and which payload fields name them. */
const LICENSE_SCOPED: Readonly<Record<string, readonly string[]>> = {
  LicenseStatusChanged: ['identifier'],
  LicenseVersioned: ['previous', 'identifier'],
};

export interface FactsCacheStats {
  hits: number;
  misses: number;
  dropped: number;
  live: boolean;
}

/**
 * @example
 * const cache = new FactsCache({ events: verifierGateway });
 * await cache.start();
 * const { facts, height } = await cache.get(key, identifier, () => readFacts());
 */
export class FactsCache<T> {
  readonly #events: ChaincodeEventSource;
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #retryMs: number;
  readonly #onStreamError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<T>>();
  /** Keys per license identifier, to drop one license's entries (several readers, signing times). */
  readonly #keysOf = new Map<string, Set<string>>();
  #generation = 0;
  #live = false;
  #closed = false;
  #stream: CloseableAsyncIterable<ChaincodeEvent> | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly stats: FactsCacheStats = { hits: 0, misses: 0, dropped: 0, live: false };

  constructor(options: Readonly<FactsCacheOptions>) {
    this.#events = options.events;
    this.#maxEntries = options.maxEntries ?? 20_000;
    this.#maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.#retryMs = options.retryMs ?? 1000;
    this.#onStreamError = options.onStreamError ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  /** Subscribes to the events; the cache is used from then on. */
  async start(): Promise<void> {
    if (this.#closed) return;
    const stream = await this.#events.getChaincodeEvents();
    if (this.#closed) {
      stream.close();
      return;
    }
    this.#stream = stream;
    // Reads that began before the subscription may predate events it will not replay.
    this.#dropAll();
    this.#setLive(true);
    void this.#follow(stream);
  }

  async #follow(stream: CloseableAsyncIterable<ChaincodeEvent>): Promise<void> {
    try {
      for await (const event of stream) this.#apply(event);
      if (!this.#closed) throw new Error('the chaincode event stream ended');
    } catch (error) {
      if (this.#closed) return;
      this.#setLive(false);
      this.#dropAll();
      this.#onStreamError(error);
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.start().catch((again: unknown) => this.#onStreamError(again));
      }, this.#retryMs);
      this.#retry.unref();
    }
  }

  #apply(event: ChaincodeEvent): void {
    if (HARMLESS.has(event.eventName)) return;
    const fields = LICENSE_SCOPED[event.eventName];
    if (fields) {
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(Buffer.from(event.payload).toString('utf8')) as Record<string, unknown>;
      } catch {
        this.#dropAll();
        return;
      }
      for (const field of fields) {
        const identifier = payload[field];
        if (typeof identifier === 'string') this.#dropLicense(identifier);
        else this.#dropAll();
      }
      return;
    }
    this.#dropAll();
  }

  /**
   * The facts for `key` (which names license `identifier`): cached, or read now with `read` and
   * kept when nothing was dropped during the read. Facts `undefined` (not on the ledger) are
   * passed on and not kept.
   */
  async get(key: string, identifier: string, read: () => Promise<HeightFacts<T | undefined>>): Promise<HeightFacts<T | undefined> & { cached: boolean }> {
    const entry = this.#entries.get(key);
    if (entry && this.#live && this.#now() - entry.storedAt <= this.#maxAgeMs) {
      this.stats.hits++;
      return { facts: entry.facts, height: entry.height, cached: true };
    }
    this.stats.misses++;
    const generation = this.#generation;
    const fresh = await read();
    if (fresh.facts !== undefined && this.#live && generation === this.#generation) this.#store(key, identifier, { facts: fresh.facts, height: fresh.height });
    return { ...fresh, cached: false };
  }

  get size(): number {
    return this.#entries.size;
  }

  #store(key: string, identifier: string, fresh: HeightFacts<T>): void {
    this.#remove(key);
    this.#entries.set(key, { ...fresh, storedAt: this.#now(), identifier });
    let keys = this.#keysOf.get(identifier);
    if (!keys) this.#keysOf.set(identifier, (keys = new Set()));
    keys.add(key);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#remove(oldest.value);
    }
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const keys = this.#keysOf.get(entry.identifier);
    keys?.delete(key);
    if (keys?.size === 0) this.#keysOf.delete(entry.identifier);
  }

  #dropLicense(identifier: string): void {
    this.#generation++;
    const keys = this.#keysOf.get(identifier);
    if (!keys) return;
    for (const key of [...keys]) this.#remove(key);
    this.stats.dropped++;
  }

  #dropAll(): void {
    this.#generation++;
    if (this.#entries.size > 0) this.stats.dropped++;
    this.#entries.clear();
    this.#keysOf.clear();
  }

  #setLive(live: boolean): void {
    this.#live = live;
    this.stats.live = live;
  }

  /** Stops following the events; the cache is no longer used. */
  close(): void {
    this.#closed = true;
    this.#setLive(false);
    if (this.#retry) clearTimeout(this.#retry);
    this.#stream?.close();
    this.#dropAll();
  }
}
