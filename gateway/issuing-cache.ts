/**
 * What issuance asks the ledger before sealing each license — which seal the caller can sign with
 * (`seal:CheckSeal`), its organisation and the license type — kept per principal for a few
 * seconds, so that a license costs one ledger call (its submit) instead of four.
 *
 * Why that is safe: the answers only choose what the gateway puts in the request; the chaincode
 * decides again at submit, on its own state — the seal ACTIVE and the caller authorised for it,
 * the organisation authorised for the type and the holder code type allowed, the identifier's
 * issuer segment the organisation's code. A stale answer therefore costs a refusal, never a
 * license the ledger would not have recorded. On a refusal the principal's answers are dropped
 * ({@link IssuingCache.forget}), and issuance tries once more with fresh ones when the refused
 * attempt used an answer older than itself — so a seal revoked, or a type re-authorised, within
 * the window is not seen as a failure by the caller.
 *
 * What the chaincode cannot re-check is the text the document takes from the registry (the
 * organisation's and the type's names, the fields schema): a registry change reaches documents
 * at most {@link ISSUING_CACHE_TTL_MS} later.
 *
 * Concurrent requests share one ledger call per answer (the pending promise is cached); a failed
 * call is not kept. An answer past its TTL is refreshed in the background while it is still used,
 * up to twice the TTL: issuance never waits for the refresh (on Fabric a read queues behind the
 * peers' commits, ~0.4 s under load), and the staleness stays bounded and harmless as above — a
 * refused attempt that used it is retried with fresh answers.
 */
import type { Principal } from '../service/principal';

/** How long an answer is used: 5 s. */
export const ISSUING_CACHE_TTL_MS = 5_000;

export interface IssuingCacheOptions {
  /** Default {@link ISSUING_CACHE_TTL_MS}; 0 disables caching. */
  readonly ttlMs?: number;
  /** Clock (ms), for tests. */
  readonly now?: () => number;
}

interface Entry {
  readonly value: Promise<unknown>;
  /** When the call was made. */
  readonly at: number;
  /** The call answered (a pending or failed one is never served stale). */
  answered: boolean;
  /** A refresh is under way. */
  refreshing: boolean;
}

/** Ledger answers issuance uses, per principal, briefly. */
export class IssuingCache {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new WeakMap<Principal, Map<string, Entry>>();

  constructor(options: Readonly<IssuingCacheOptions> = {}) {
    this.#ttlMs = options.ttlMs ?? ISSUING_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The cache's clock (ms). */
  now(): number {
    return this.#now();
  }

  /**
   * The answer under `key` for `principal`: cached when younger than the TTL; up to twice the TTL
   * the cached answer while a refresh runs in the background; else `load()` (whose rejection is
   * passed on and not kept). `used.oldest` is lowered to when the answer was asked for, so that
   * an attempt can tell afterwards whether it relied on an answer older than itself.
   */
  get<T>(principal: Principal, key: string, load: () => Promise<T>, used?: { oldest: number }): Promise<T> {
    if (this.#ttlMs <= 0) return load();
    let entries = this.#entries.get(principal);
    if (!entries) {
      entries = new Map();
      this.#entries.set(principal, entries);
    }
    const now = this.#now();
    let entry = entries.get(key);
    const age = entry === undefined ? Infinity : now - entry.at;
    if (!entry || age >= 2 * this.#ttlMs || (age >= this.#ttlMs && !entry.answered)) {
      entry = this.#ask(entries, key, load, now);
    } else if (age >= this.#ttlMs && !entry.refreshing) {
      const stale = entry;
      stale.refreshing = true;
      // The fresh answer replaces the stale one once it has come; a failed refresh leaves it.
      const fresh = this.#ask(entries, key, load, now, stale);
      fresh.value.then(
        () => undefined,
        () => (stale.refreshing = false),
      );
    }
    if (used && entry.at < used.oldest) used.oldest = entry.at;
    return entry.value as Promise<T>;
  }

  /** Starts `load()`; its entry is stored at once, or (`replacing`) when it has answered. */
  #ask(entries: Map<string, Entry>, key: string, load: () => Promise<unknown>, now: number, replacing?: Entry): Entry {
    const created: Entry = { value: load(), at: now, answered: false, refreshing: false };
    created.value.then(
      () => {
        created.answered = true;
        if (replacing && entries.get(key) === replacing) entries.set(key, created);
      },
      () => {
        if (entries.get(key) === created) entries.delete(key);
      },
    );
    if (!replacing) entries.set(key, created);
    return created;
  }

  /** Drops every answer kept for `principal` (after the ledger refused one of its requests). */
  forget(principal: Principal): void {
    this.#entries.delete(principal);
  }
}
