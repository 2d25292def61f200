/**
 * A durable map of JSON records on LevelDB — what the services keep beside the ledger
 * (idempotent answers, sealed documents, pending dispute resolutions). Every write is synced:
 * once a put resolves, the record survives a crash.
 *
 * Writes made in the same turn of the event loop (requests answered by one ledger block, say) go
 * to LevelDB as one synced batch, in the order they were made: one fsync for all of them, and
 * each resolves when that batch is durable (or rejects with its failure).
 */
import { Level } from 'level';

type Write = { readonly type: 'put'; readonly key: string; readonly value: string } | { readonly type: 'del'; readonly key: string };

/**
 * LevelDB's memtable size: 8 MiB instead of its 4 MiB. Keys are hashes or identifiers, spread over
 * the key space, and every idempotent request first reads its key (a miss): with 4 MiB tables
 * those misses use up the tables' seek allowance within seconds and LevelDB compacts again and
 * again. Replaying the idempotency store of a 5-minute soak (22,664 answers, each read first):
 * 480 MB compacted with 4 MiB, 246 MB with 8 MiB (146 MB with 16 MiB, at twice the memory). The
 * cost: up to two memtables of resident memory per busy store.
 */
const WRITE_BUFFER_BYTES = 8 * 1024 * 1024;
/**
 * LevelDB's cache of uncompressed blocks: 2 MiB instead of its 8 MiB. The stores are written at
 * every request and read far less (an idempotency lookup is a miss the bloom filter answers; a
 * sealed document is read when its license is fetched), so their caches filled slowly for the
 * whole of a soak: resident memory that grew for minutes and bought few hits. A block not cached
 * is decompressed again from the table, which the kernel keeps in its page cache.
 */
const CACHE_BYTES = 2 * 1024 * 1024;
/**
 * Tables LevelDB keeps open: its minimum (it raises anything below 74 to 74, 10 for other files),
 * instead of 1,000. An open table holds its index and filter blocks in memory (decompressed), and
 * a store grows without end — the idempotency store by ~16 MB a minute at 223 requests/s — so with
 * 1,000 the table cache grew with the store (open tables held 0 → 6 MB of the heap over a 10-minute
 * soak, the ledger's bounded ones included; jemalloc's heap profiler). A lookup in a table no longer
 * open reopens it.
 */
const OPEN_FILES = 74;

interface Group {
  readonly writes: Write[];
  readonly done: Promise<void>;
}

export class JsonStore<T> {
  readonly #db: Level<string, string>;
  #group: Group | undefined;

  /** @param path folder of the LevelDB database (created on open). */
  constructor(path: string) {
    this.#db = new Level<string, string>(path, { valueEncoding: 'utf8', writeBufferSize: WRITE_BUFFER_BYTES, cacheSize: CACHE_BYTES, maxOpenFiles: OPEN_FILES });
  }

  open(): Promise<void> {
    return this.#db.open();
  }

  /** Closes the database once the writes already made are durable. */
  async close(): Promise<void> {
    await this.#group?.done.catch(() => undefined);
    return this.#db.close();
  }

  async get(key: string): Promise<T | undefined> {
    const value = await this.#db.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  /** A record read at once, on this thread (writes of the current turn not yet batched are not seen). */
  getSync(key: string): T | undefined {
    const value = this.#db.getSync(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  /** Several records in one read, in the order of `keys` (undefined where absent). */
  async getMany(keys: readonly string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return [];
    const values = await this.#db.getMany([...keys]);
    return values.map((value) => (value === undefined ? undefined : (JSON.parse(value) as T)));
  }

  put(key: string, record: T): Promise<void> {
    return this.#write([{ type: 'put', key, value: JSON.stringify(record) }]);
  }

  /** Several records in one synced write. */
  async putMany(entries: ReadonlyArray<readonly [key: string, record: T]>): Promise<void> {
    if (entries.length === 0) return;
    await this.#write(entries.map(([key, record]) => ({ type: 'put', key, value: JSON.stringify(record) })));
  }

  delete(key: string): Promise<void> {
    return this.#write([{ type: 'del', key }]);
  }

  /** Several deletions in one synced write. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#write(keys.map((key) => ({ type: 'del', key })));
  }

  /** Keys in `[gte, lt)`, in key order, at most `limit` of them. */
  async keys(range: { readonly gte: string; readonly lt: string; readonly limit: number }): Promise<string[]> {
    return this.#db.keys(range).all();
  }

  /** Joins the writes of this turn of the event loop (see the module comment). */
  #write(writes: readonly Write[]): Promise<void> {
    let group = this.#group;
    if (!group) {
      const pending: Write[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.#group = undefined;
        return this.#db.batch(pending, { sync: true });
      });
      group = { writes: pending, done };
      this.#group = group;
    }
    for (const write of writes) group.writes.push(write);
    return group.done;
  }

  async values(): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this.#db.values()) out.push(JSON.parse(value) as T);
    return out;
  }

  /** Number of records, or of those whose key `include` accepts (a full scan: for tests and tools). */
  async count(include?: (key: string) => boolean): Promise<number> {
    let n = 0;
    for await (const key of this.#db.keys()) if (!include || include(key)) n++;
    return n;
  }
}
