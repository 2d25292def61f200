/**
 * A durable map of JSON records on LevelDB — what the services keep beside the ledger
 * (idempotent answers, sealed documents, pending dispute resolutions). Every write is synced:
 * once a put resolves, the record survives a crash.
 */
import { Level } from 'level';

export class JsonStore<T> {
  readonly #db: Level<string, string>;

  /** @param path folder of the LevelDB database (created on open). */
  constructor(path: string) {
    this.#db = new Level<string, string>(path, { valueEncoding: 'utf8' });
  }

  open(): Promise<void> {
    return this.#db.open();
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async get(key: string): Promise<T | undefined> {
    const value = await this.#db.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  put(key: string, record: T): Promise<void> {
    return this.#db.put(key, JSON.stringify(record), { sync: true });
  }

  /** Several records in one synced write. */
  async putMany(entries: ReadonlyArray<readonly [key: string, record: T]>): Promise<void> {
    if (entries.length === 0) return;
    await this.#db.batch(
      entries.map(([key, record]) => ({ type: 'put' as const, key, value: JSON.stringify(record) })),
      { sync: true },
    );
  }

  delete(key: string): Promise<void> {
    return this.#db.del(key, { sync: true });
  }

  async values(): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this.#db.values()) out.push(JSON.parse(value) as T);
    return out;
  }

  /** Number of records (a full scan: for tests and tools). */
  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.#db.keys()) n++;
    return n;
  }
}
