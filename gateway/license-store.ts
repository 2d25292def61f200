/**
 * The gateway's store of sealed license documents (LevelDB, keyed by identifier): the document a
 * holder presents, with the transaction that anchored it. The ledger holds only the digest; this
 * store is what `GET /v1/licenses/:identifier` and new versions read. A document is written only
 * after its ledger transaction committed, so the store never holds a license the ledger lacks.
 */
import { Level } from 'level';
import type { SealedLicense } from '../domain/license-document';

export interface StoredLicense {
  readonly sealed: SealedLicense;
  readonly txId: string;
  readonly blockNumber: number;
}

export class LicenseStore {
  readonly #db: Level<string, string>;

  constructor(path: string) {
    this.#db = new Level<string, string>(path, { valueEncoding: 'utf8' });
  }

  open(): Promise<void> {
    return this.#db.open();
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async get(identifier: string): Promise<StoredLicense | undefined> {
    const value = await this.#db.get(identifier);
    return value === undefined ? undefined : (JSON.parse(value) as StoredLicense);
  }

  /** Stores several at once (one synced write). */
  async put(...entries: StoredLicense[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#db.batch(
      entries.map((entry) => ({ type: 'put' as const, key: entry.sealed.document.identifier, value: JSON.stringify(entry) })),
      { sync: true },
    );
  }
}
