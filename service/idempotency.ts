/**
 * Idempotency-Key for state-changing POSTs (api.md): the first answer to a key is stored on disk
 * (LevelDB) and replayed for a retry with the same body — also after a restart; the same key with
 * another body is `IDEMPOTENCY_CONFLICT`; a retry while the first is still running is
 * `IDEMPOTENCY_IN_PROGRESS`. Keys are scoped to the principal and the route. Only successful
 * answers (below 400) are stored: a server fault (5xx) may have left the work half done, and a
 * refusal (4xx) did nothing at all, so a retry of either runs again — domain rules (unique license
 * numbers, material dedupe) keep it from duplicating anything, and a refusal may not hold later (a
 * license not yet in the state the request needs). Nor can a flood of refused requests fill the
 * store.
 *
 * Answers are kept for a retention period (default 24 hours, as payment APIs keep theirs; api.md
 * sets none): a key older than that is free again, and a sweep deletes expired answers so the
 * store does not grow without end (at 223 requests/s it grew by ~16 MB a minute). Each answer has
 * an index entry `t:<stored at, ms>:<key>` beside it, so the sweep reads only what has expired.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { JsonStore } from './json-store';
import { canonicalJson } from '../domain/canonical-json';
import { ProblemError } from './problem';

export interface StoredAnswer {
  readonly fingerprint: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** When it was stored (ms since the epoch); absent in answers stored before retention existed, which are kept. */
  readonly storedAt?: number;
}

export interface IdempotencyStoreOptions {
  /** How long an answer is replayed (ms; default 24 hours). */
  readonly retentionMs?: number;
  /** How often expired answers are deleted (ms; default a quarter of the retention, at most an hour). */
  readonly sweepEveryMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Index entries looked at per synced write while sweeping (each read synchronously: a few ms per chunk). */
const SWEEP_CHUNK = 256;
/** Index entries: `t:` sorts after every answer's key (64 hex digits). */
const INDEX_PREFIX = 't:';
/** Milliseconds since the epoch, zero-padded so that the index sorts by time. */
const indexKey = (storedAt: number, key: string): string => `${INDEX_PREFIX}${String(storedAt).padStart(15, '0')}:${key}`;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyClaim | undefined;
  }
  interface FastifyContextConfig {
    /**
     * `body` (default): the JSON body. `route`: the key alone. `handler`: routes whose body is not
     * JSON (multipart uploads) compute it once they have read the body and call
     * `settleIdempotency`.
     */
    idempotencyFingerprint?: 'body' | 'route' | 'handler';
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** A request's hold on its Idempotency-Key. */
export interface IdempotencyClaim {
  readonly key: string;
  /** Undefined until a `handler`-mode route settles it. */
  fingerprint: string | undefined;
  /** The stored answer a `handler`-mode route may replay once its fingerprint is known. */
  readonly stored?: StoredAnswer;
  /** Whether this request holds the in-progress lock (released when the response is sent). */
  readonly claimed: boolean;
}

export class IdempotencyStore {
  /** Answers by key, and index entries (null) by time. */
  readonly #store: JsonStore<StoredAnswer | null>;
  readonly #running = new Set<string>();
  readonly #retentionMs: number;
  readonly #sweepEveryMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  #closing = false;

  constructor(path: string, options: IdempotencyStoreOptions = {}) {
    this.#store = new JsonStore<StoredAnswer | null>(path);
    this.#retentionMs = options.retentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
    this.#sweepEveryMs = options.sweepEveryMs ?? Math.min(this.#retentionMs / 4, 60 * 60 * 1000);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens the store and starts deleting what expired while it was closed, in the background (after
   * a long stop that may be many answers; an expired answer is not replayed meanwhile), then
   * sweeps at every interval.
   */
  async open(): Promise<void> {
    await this.#store.open();
    void this.sweep().catch(() => undefined);
    this.#timer = setInterval(() => void this.sweep().catch(() => undefined), this.#sweepEveryMs).unref();
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    await this.#sweeping?.catch(() => undefined);
    return this.#store.close();
  }

  /** The answer stored for a key, unless it has expired. */
  async get(key: string): Promise<StoredAnswer | undefined> {
    const answer = await this.#store.get(key);
    if (!answer || this.#expired(answer)) return undefined;
    return answer;
  }

  /** Stores an answer (its time is set here) with its index entry, in one synced write. */
  put(key: string, answer: StoredAnswer): Promise<void> {
    const storedAt = this.#now();
    return this.#store.putMany([
      [key, { ...answer, storedAt }],
      [indexKey(storedAt, key), null],
    ]);
  }

  /** Deletes the answers stored longer ago than the retention; resolves to how many. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    // Expired means stored at or before now − retention (as in #expired): the index entries before the next millisecond.
    const lt = indexKey(this.#now() - this.#retentionMs + 1, '');
    let deleted = 0;
    while (!this.#closing) {
      const entries = await this.#store.keys({ gte: INDEX_PREFIX, lt, limit: SWEEP_CHUNK });
      if (entries.length === 0) return deleted;
      // Decided and queued in one synchronous step, so that no new answer slips in between: a key
      // answered again after it expired keeps its newer answer (its request holds the key until
      // that answer is durable, and a later write queues after this deletion). A key held by a
      // running request keeps its entry for the next sweep.
      const done: string[] = [];
      const stale: string[] = [];
      let held = 0;
      for (const entry of entries) {
        const key = entry.slice(entry.lastIndexOf(':') + 1);
        if (this.#running.has(key)) {
          held++;
          continue;
        }
        done.push(entry);
        const answer = this.#store.getSync(key);
        if (answer !== undefined && answer !== null && this.#expired(answer)) stale.push(key);
      }
      await this.#store.deleteMany([...done, ...stale]);
      deleted += stale.length;
      if (held > 0) break;
    }
    return deleted;
  }

  #expired(answer: StoredAnswer): boolean {
    return answer.storedAt !== undefined && this.#now() - answer.storedAt >= this.#retentionMs;
  }

  /** Stored answers, expired ones not yet swept included. */
  count(): Promise<number> {
    return this.#store.count((key) => !key.startsWith(INDEX_PREFIX));
  }

  claim(key: string): boolean {
    if (this.#running.has(key)) return false;
    this.#running.add(key);
    return true;
  }

  release(key: string): void {
    this.#running.delete(key);
  }
}

function fingerprintOf(body: unknown): string {
  let text: string;
  try {
    text = canonicalJson(body ?? null);
  } catch {
    text = JSON.stringify(body ?? null);
  }
  return createHash('sha256').update(text).digest('hex');
}

export const idempotencyPlugin = fp(async (app: FastifyInstance, options: { store: IdempotencyStore }) => {
  const { store } = options;
  app.decorateRequest('idempotency', undefined);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers['idempotency-key'];
    if (header === undefined || (request.method !== 'POST' && request.method !== 'DELETE')) return;
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw new ProblemError('VALIDATION_FAILED', 'Idempotency-Key must be 1–128 printable ASCII characters');
    }
    const scope = `${request.principal?.name ?? '-'}\n${request.method}\n${request.url.split('?')[0]}\n${header}`;
    const key = createHash('sha256').update(scope).digest('hex');
    if (request.routeOptions.config.idempotencyFingerprint === 'handler') {
      const earlier = await store.get(key);
      if (!earlier && !store.claim(key)) throw new ProblemError('IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still running');
      request.idempotency = earlier ? { key, fingerprint: undefined, stored: earlier, claimed: false } : { key, fingerprint: undefined, claimed: true };
      return;
    }
    const fingerprint = request.routeOptions.config.idempotencyFingerprint === 'route' ? 'route' : fingerprintOf(request.body);
    const stored = await store.get(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        throw new ProblemError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
      }
      return reply.code(stored.status).header('content-type', stored.contentType).header('idempotent-replayed', 'true').send(stored.body);
    }
    if (!store.claim(key)) throw new ProblemError('IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still running');
    request.idempotency = { key, fingerprint, claimed: true };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim || claim.fingerprint === undefined || claim.stored || reply.statusCode >= 400 || typeof payload !== 'string') return payload;
    await store.put(claim.key, {
      fingerprint: claim.fingerprint,
      status: reply.statusCode,
      contentType: String(reply.getHeader('content-type') ?? 'application/json'),
      body: payload,
    });
    return payload;
  });

  app.addHook('onResponse', async (request) => {
    if (request.idempotency?.claimed) store.release(request.idempotency.key);
  });
});

/**
 * For routes with `config.idempotencyFingerprint: 'handler'`: call once what identifies the
 * request is known (for an upload: its fields and the file's digest). Returns true when the key
 * was answered before with the same request — the stored answer has then been sent and the
 * handler must return `reply` —, false when the request should run (its answer will be stored).
 * @throws ProblemError `IDEMPOTENCY_CONFLICT` when the key was used with a different request.
 */
export function settleIdempotency(request: FastifyRequest, reply: FastifyReply, identity: unknown): boolean {
  const claim = request.idempotency;
  if (!claim || claim.fingerprint !== undefined) return false;
  const fingerprint = fingerprintOf(identity);
  if (!claim.stored) {
    claim.fingerprint = fingerprint;
    return false;
  }
  if (claim.stored.fingerprint !== fingerprint) {
    throw new ProblemError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
  }
  void reply.code(claim.stored.status).header('content-type', claim.stored.contentType).header('idempotent-replayed', 'true').send(claim.stored.body);
  return true;
}
