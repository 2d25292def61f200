/**
 * The peer side of one chaincode simulation. fabric-shim's own `ChaincodeStub` calls these
 * `handle*` methods (on Fabric they become gRPC messages to the peer); here they read the shared
 * committed-state snapshot and record the read/write set with Fabric's semantics:
 * - reads see committed state only — no read-your-own-writes;
 * - range queries record their bounds and every key/version read, for phantom detection;
 * - history and paginated queries are not recorded (Fabric does not re-validate them), and a
 *   transaction that used pagination may not write.
 */
import { LedgerStore, type SharedSnapshot } from './ledger-store';
import { ReadWriteSetBuilder, type KVRead, type ReadWriteSet } from './rwset';

const { peer } = require('@hyperledger/fabric-protos') as {
  peer: { QueryMetadata: { deserializeBinary(bytes: Uint8Array): { getPagesize(): number; getBookmark(): string } } };
};

type IteratorResult<T> = { value: T; done: false } | { value?: undefined; done: true };

interface StateIterator {
  next(): Promise<IteratorResult<{ key: string; value: Buffer }>>;
  close(): Promise<void>;
}

class RangeRead {
  readonly reads: KVRead[] = [];
  exhausted = false;
  finished = false;

  constructor(
    readonly startKey: string,
    readonly endKey: string,
  ) {}
}

// A lone UTF-16 surrogate has no UTF-8 encoding; the peer refuses such keys.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new Error('key must be a non-empty string');
  if (LONE_SURROGATE.test(key)) throw new Error(`key ${JSON.stringify(key)} is not valid UTF-8`);
}

export class SimulationHandler {
  readonly #store: LedgerStore;
  readonly #snapshot: SharedSnapshot;
  readonly #namespace: string;
  readonly #rwset: ReadWriteSetBuilder;
  readonly #ranges: RangeRead[] = [];
  #usedPagination = false;

  constructor(store: LedgerStore, snapshot: SharedSnapshot, namespace: string) {
    this.#store = store;
    this.#snapshot = snapshot;
    this.#namespace = namespace;
    this.#rwset = new ReadWriteSetBuilder(namespace);
  }

  /** The read/write set; ranges still open are recorded as not exhausted. */
  readWriteSet(): ReadWriteSet {
    if (this.#usedPagination && this.#rwset.hasWrites) {
      throw new Error('a transaction that uses paginated queries cannot write to state');
    }
    for (const range of this.#ranges) {
      this.#rwset.addRangeQuery({
        startKey: range.startKey,
        endKey: range.endKey,
        itrExhausted: range.exhausted,
        reads: range.reads,
      });
    }
    return this.#rwset.build();
  }

  async handleGetState(collection: string, key: string): Promise<Buffer> {
    this.#publicOnly(collection);
    assertValidKey(key);
    const found = this.#store.getState(this.#namespace, key, this.#snapshot);
    this.#rwset.addRead(key, found?.version ?? null);
    // fabric-shim resolves a missing key to an empty buffer.
    return found ? Buffer.from(found.value) : Buffer.alloc(0);
  }

  async handlePutState(collection: string, key: string, value: Uint8Array): Promise<void> {
    this.#publicOnly(collection);
    assertValidKey(key);
    if (!(value instanceof Uint8Array)) throw new Error('value must be bytes or a string');
    this.#rwset.addWrite(key, Buffer.from(value));
  }

  async handleDeleteState(collection: string, key: string): Promise<void> {
    this.#publicOnly(collection);
    assertValidKey(key);
    this.#rwset.addDelete(key);
  }

  async handleGetStateByRange(
    collection: string,
    startKey: string,
    endKey: string,
    _channelId?: string,
    _txId?: string,
    metadata?: Uint8Array,
  ): Promise<{ iterator: StateIterator; metadata?: { fetchedRecordsCount: number; bookmark: string } }> {
    this.#publicOnly(collection);
    if (metadata) return this.#paginated(startKey, endKey ?? '', metadata);
    const range = new RangeRead(startKey, endKey ?? '');
    this.#ranges.push(range);
    const source = this.#store.iterateState(this.#namespace, range.startKey, range.endKey, { snapshot: this.#snapshot });
    const iterator: StateIterator = {
      next: async () => {
        if (range.finished) return { done: true };
        const step = await source.next();
        if (step.done) {
          range.exhausted = true;
          range.finished = true;
          return { done: true };
        }
        range.reads.push({ key: step.value.key, version: step.value.version });
        return { value: { key: step.value.key, value: Buffer.from(step.value.value) }, done: false };
      },
      close: async () => {
        range.finished = true;
        await source.return(undefined);
      },
    };
    return { iterator };
  }

  async handleGetHistoryForKey(key: string): Promise<StateIteratorLike> {
    assertValidKey(key);
    const entries = await this.#store.history(this.#namespace, key);
    let index = 0;
    return {
      next: async () => {
        const entry = entries[index++];
        if (!entry) return { done: true };
        return {
          value: {
            txId: entry.txId,
            value: Buffer.from(entry.value, 'base64'),
            isDelete: entry.isDelete,
            timestamp: { seconds: entry.timestamp.seconds, nanos: entry.timestamp.nanos },
          },
          done: false,
        };
      },
      close: async () => {},
    };
  }

  async handleGetQueryResult(): Promise<never> {
    throw new Error('rich queries are not supported: the state database is LevelDB (use composite keys)');
  }

  async handleInvokeChaincode(): Promise<never> {
    throw new Error('chaincode-to-chaincode invocation is not supported by the embedded ledger');
  }

  async handleGetStateMetadata(): Promise<never> {
    throw new Error('key-level endorsement policies are not supported by the embedded ledger');
  }

  async handlePutStateMetadata(): Promise<never> {
    throw new Error('key-level endorsement policies are not supported by the embedded ledger');
  }

  async handleGetPrivateDataHash(): Promise<never> {
    throw new Error('private data collections are not supported by the embedded ledger');
  }

  async handlePurgeState(): Promise<never> {
    throw new Error('private data collections are not supported by the embedded ledger');
  }

  #publicOnly(collection: string): void {
    if (collection !== '') throw new Error('private data collections are not supported by the embedded ledger');
  }

  async #paginated(
    startKey: string,
    endKey: string,
    metadataBytes: Uint8Array,
  ): Promise<{ iterator: StateIterator; metadata: { fetchedRecordsCount: number; bookmark: string } }> {
    this.#usedPagination = true;
    const query = peer.QueryMetadata.deserializeBinary(metadataBytes);
    const pageSize = query.getPagesize();
    if (!Number.isSafeInteger(pageSize) || pageSize <= 0) throw new Error('page size must be a positive integer');
    const from = query.getBookmark() || startKey;
    const page: Array<{ key: string; value: Buffer }> = [];
    let bookmark = '';
    for await (const entry of this.#store.iterateState(this.#namespace, from, endKey, { snapshot: this.#snapshot })) {
      if (page.length === pageSize) {
        bookmark = entry.key;
        break;
      }
      page.push({ key: entry.key, value: Buffer.from(entry.value) });
    }
    let index = 0;
    return {
      iterator: {
        next: async () => {
          const item = page[index++];
          return item ? { value: item, done: false } : { done: true };
        },
        close: async () => {},
      },
      metadata: { fetchedRecordsCount: page.length, bookmark },
    };
  }
}

type StateIteratorLike = {
  next(): Promise<IteratorResult<unknown>>;
  close(): Promise<void>;
};
