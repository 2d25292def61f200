/**
 * The gateway's store of sealed license documents (LevelDB, keyed by identifier): the document a
 * holder presents, with the transaction that anchored it. The ledger holds only the digest; this
 * store is what `GET /v1/licenses/:identifier` and new versions read. A document is written only
 * after its ledger transaction committed, so the store never holds a license the ledger lacks.
 */
import { JsonStore } from '../service/json-store';
import type { SealedLicense } from '../domain/license-document';

export interface StoredLicense {
  readonly sealed: SealedLicense;
  readonly txId: string;
  readonly blockNumber: number;
}

export class LicenseStore {
  readonly #store: JsonStore<StoredLicense>;

  constructor(path: string) {
    this.#store = new JsonStore<StoredLicense>(path);
  }

  open(): Promise<void> {
    return this.#store.open();
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  get(identifier: string): Promise<StoredLicense | undefined> {
    return this.#store.get(identifier);
  }

  /** Stores several at once (one synced write). */
  put(...entries: StoredLicense[]): Promise<void> {
    return this.#store.putMany(entries.map((entry) => [entry.sealed.document.identifier, entry] as const));
  }

  count(): Promise<number> {
    return this.#store.count();
  }
}
