/**
 * The gateway's store of sealed license documents (LevelDB, keyed by identifier): the document a
 * holder presents, with the transaction that anchored it. The ledger holds only the digest; this
 * store is what `GET /v1/licenses/:identifier` and new versions read. A document is written only
 * after its ledger transaction committed, so the store never holds a license the ledger lacks.
 *
 * Batch-sealed documents share one seal signature (over the batch manifest): it is kept once per
 * batch, under `batch/<sealId>/<batchId>`, and each document keeps its own Merkle proof and a
 * reference to it. Reads reassemble the whole {@link SealedLicense}; a batch's seal and its
 * documents are written in the same synced write. Documents stored whole (single issuance, and
 * batch documents stored before batches were kept once) are read as they are.
 */
import { JsonStore } from '../service/json-store';
import type { MerkleProof } from '../domain/merkle';
import type { BatchManifest, LicenseDocument, SealedLicense } from '../domain/license-document';

export interface StoredLicense {
  readonly sealed: SealedLicense;
  readonly txId: string;
  readonly blockNumber: number;
}

/** A batch's seal signature, kept once for all its documents. */
type BatchSeal = Omit<SealedLicense['seal'], 'batch'> & { readonly batch: { readonly manifest: BatchManifest } };

/** A batch-sealed document as kept: everything but the batch's seal, which it names. */
interface BatchDocument {
  readonly document: LicenseDocument;
  readonly digest: string;
  /** Key of its {@link BatchSeal}. */
  readonly batchSeal: string;
  readonly proof: MerkleProof;
  readonly txId: string;
  readonly blockNumber: number;
}

type Kept = StoredLicense | BatchDocument | BatchSeal;

const BATCH_PREFIX = 'batch/';
/** Batch seals held in memory, for reads of many documents of a few batches. */
const BATCH_CACHE_LIMIT = 64;

function isBatchDocument(kept: Kept): kept is BatchDocument {
  return typeof (kept as BatchDocument).batchSeal === 'string';
}

export class LicenseStore {
  readonly #store: JsonStore<Kept>;
  readonly #batchSeals = new Map<string, BatchSeal>();

  constructor(path: string) {
    this.#store = new JsonStore<Kept>(path);
  }

  open(): Promise<void> {
    return this.#store.open();
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  async get(identifier: string): Promise<StoredLicense | undefined> {
    return (await this.getMany([identifier]))[0];
  }

  /** Several documents in one read, in the order of `identifiers` (undefined where absent). */
  async getMany(identifiers: readonly string[]): Promise<Array<StoredLicense | undefined>> {
    if (identifiers.some((id) => id.startsWith(BATCH_PREFIX))) throw new Error('not a license identifier');
    const kept = await this.#store.getMany(identifiers);
    const missing = new Set<string>();
    for (const entry of kept) {
      if (entry && isBatchDocument(entry) && !this.#batchSeals.has(entry.batchSeal)) missing.add(entry.batchSeal);
    }
    const keys = [...missing];
    const seals = new Map<string, BatchSeal | undefined>();
    (await this.#store.getMany(keys)).forEach((seal, i) => {
      const key = keys[i] as string;
      seals.set(key, seal as BatchSeal | undefined);
      if (seal) this.#remember(key, seal as BatchSeal);
    });
    return kept.map((entry) => {
      if (!entry || !isBatchDocument(entry)) return entry as StoredLicense | undefined;
      const seal = this.#batchSeals.get(entry.batchSeal) ?? seals.get(entry.batchSeal);
      if (!seal) throw new Error(`license store: the batch seal ${entry.batchSeal} of ${entry.document.identifier} is missing`);
      const { batch, ...rest } = seal;
      return {
        sealed: { document: entry.document, digest: entry.digest, seal: { ...rest, batch: { manifest: batch.manifest, proof: entry.proof } } },
        txId: entry.txId,
        blockNumber: entry.blockNumber,
      };
    });
  }

  /**
   * Stores several at once (one synced write). Batch-sealed documents are kept with a reference
   * to their batch's seal, written once per call.
   */
  put(...entries: StoredLicense[]): Promise<void> {
    const writes: Array<readonly [string, Kept]> = [];
    const seals = new Map<string, BatchSeal>();
    for (const { sealed, txId, blockNumber } of entries) {
      const batch = sealed.seal.batch;
      if (!batch) {
        writes.push([sealed.document.identifier, { sealed, txId, blockNumber }]);
        continue;
      }
      const key = `${BATCH_PREFIX}${sealed.seal.sealId}/${batch.manifest.batchId}`;
      if (!seals.has(key)) {
        const { batch: _, ...rest } = sealed.seal;
        const seal: BatchSeal = { ...rest, batch: { manifest: batch.manifest } };
        seals.set(key, seal);
        writes.push([key, seal]);
      }
      writes.push([sealed.document.identifier, { document: sealed.document, digest: sealed.digest, batchSeal: key, proof: batch.proof, txId, blockNumber }]);
    }
    return this.#store.putMany(writes).then(() => {
      for (const [key, seal] of seals) this.#remember(key, seal);
    });
  }

  /** Number of documents (a full scan: for tests and tools). */
  count(): Promise<number> {
    return this.#store.count((key) => !key.startsWith(BATCH_PREFIX));
  }

  #remember(key: string, seal: BatchSeal): void {
    this.#batchSeals.delete(key);
    if (this.#batchSeals.size >= BATCH_CACHE_LIMIT) this.#batchSeals.delete(this.#batchSeals.keys().next().value as string);
    this.#batchSeals.set(key, seal);
  }
}
