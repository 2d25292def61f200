/**
 * The embedded ledger's storage: blocks in append-only files (block-files.ts, in `blocks/` of the
 * ledger folder) and, in one LevelDB database, state with versions, the block index (where each
 * block is), transaction index, history index and metadata — all of a block's entries written
 * in one atomic batch, which is the commit (see keys.ts for the layout).
 *
 * Simulations read from a shared snapshot of committed state that is replaced after each block
 * commit (Fabric takes a read lock during simulation; LevelDB gives us snapshots instead).
 */
import { join } from 'node:path';
import { Level } from 'level';
import { BlockFiles, decodeLocation, encodeLocation, endAfter, isWithin, type BlockFilesEnd, type BlockLocation } from './block-files';
import {
  META_BLOCK_FILES,
  META_COMMIT_HASH,
  META_HEIGHT,
  META_LAST_HASH,
  blockKey,
  decodeVersioned,
  historyKeyPrefix,
  stateKey,
  stateRange,
  txKey,
  versionOfHistoryKey,
  type Version,
} from './keys';
import { parseBlock, type Envelope, type StoredBlock } from './block';
import type { Proposal } from './proposal';

type Snapshot = ReturnType<Level<string, Buffer>['snapshot']>;

/**
 * LevelDB's memtable size: 32 MiB instead of its 4 MiB. Every block writes keys all over the key
 * space (transaction ids, state, history), so each level-0 table overlaps the whole of
 * level 1 and every level-0 compaction rewrites all of it; and every point read that consults
 * more than one table — the duplicate check of each transaction's id (a miss, by design), the
 * state reads of every simulation — counts against the first table's allowance of seeks, which
 * for a small table runs out within seconds and forces one more compaction. With 4 MiB the
 * background compaction grew with the ledger — at 200 requests/s of the soak's mix, from 2 % to
 * 23 % of a core within five minutes — and with it the CPU per request and the latency. Replaying
 * a soak's 15,665 blocks with their reads compacts 2,256 MB with 4 MiB, 982 MB with 16 MiB,
 * 616 MB with 32 MiB (450 MB with 64 MiB); the same blocks three times over, 8,196 MB and
 * 2,922 MB. The cost: up to two memtables (the one filling, the one being written out) of
 * resident memory, and a longer log to replay after a crash.
 */
const WRITE_BUFFER_BYTES = 32 * 1024 * 1024;
/**
 * LevelDB memory-maps every table file it keeps open, and the pages a read touches (64 KiB around
 * each, the kernel's fault-around) count in the process's resident set until the table is closed.
 * State reads land all over the key space, so with LevelDB's defaults (2 MiB tables, up to 1,000
 * open) the mapped pages grew with the state: 6 → 71 MB over a 10-minute soak. LevelDB keeps at
 * least 64 tables open (it raises a smaller `max_open_files` to 74, 10 for other files) and makes
 * tables of at least 1 MiB (it raises a smaller `max_file_size` to 1 MiB: the 512 KiB asked here
 * before gave tables of 1.07 MB, which is why 256 KiB "did not map less"), so the cached tables
 * map at most ~68 MB — plus the level-0 tables (one memtable each) and the tables a compaction is
 * reading, which are mapped while it reads them. In 10-minute soaks the mapped ledger pages were
 * 5–22 MB at 223 requests/s, and rose and fell by up to ~35 MB with compactions at 329/s. The
 * cost: a read of a table not open reopens it (about 20 µs more per such read, measured on a
 * soak's ledger; the soak's CPU did not move).
 */
const TABLE_FILE_BYTES = 1024 * 1024;
const OPEN_FILES = 74;
/**
 * LevelDB's cache of uncompressed blocks: 4 MiB instead of its 8 MiB. It filled for the whole of
 * a 10-minute soak (the state keeps growing, reads land all over it) and was the largest part of
 * the heap still growing at the end (jemalloc's heap profiler: blocks read into the caches 7 →
 * 15 MB over the run, the JSON stores' caches included); a block not cached is decompressed again
 * from its memory-mapped table (Snappy: microseconds).
 */
const CACHE_BYTES = 4 * 1024 * 1024;

export interface VersionedValue {
  readonly version: Version;
  readonly value: Buffer;
}

export interface HistoryEntry {
  readonly txId: string;
  readonly isDelete: boolean;
  /** Base64 value ('' for deletes). */
  readonly value: string;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
}

export interface TxLocation {
  readonly block: number;
  readonly tx: number;
  readonly code: number;
}

export interface LedgerMeta {
  readonly height: number;
  readonly lastHash: string;
  readonly commitHash: string;
}

/** A snapshot shared by the simulations that started while it was current. */
export class SharedSnapshot {
  readonly snapshot: Snapshot;
  #refs = 1; // the store's own reference while current

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
  }

  acquire(): this {
    this.#refs++;
    return this;
  }

  release(): void {
    if (--this.#refs === 0) void this.snapshot.close();
  }
}

/** A LevelDB operation of a commit batch. */
export type StoreOperation = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

export class LedgerStore {
  readonly db: Level<string, Buffer>;
  readonly #location: string;
  #blockFiles: BlockFiles | undefined;
  #current: SharedSnapshot | undefined;

  constructor(location: string) {
    this.#location = location;
    this.db = new Level<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer', writeBufferSize: WRITE_BUFFER_BYTES, maxFileSize: TABLE_FILE_BYTES, maxOpenFiles: OPEN_FILES, cacheSize: CACHE_BYTES });
  }

  async open(): Promise<void> {
    await this.db.open();
    try {
      const stored = this.db.getSync(META_BLOCK_FILES);
      const end = stored ? (JSON.parse(stored.toString()) as BlockFilesEnd) : undefined;
      // Opening cuts the files back to the recorded end: first make sure the newest block is within it.
      const height = this.readMeta().height;
      const newest = height > 0 ? this.db.getSync(blockKey(height - 1)) : undefined;
      const location = newest ? decodeLocation(newest) : undefined;
      if (location && (!end || !isWithin(location, end))) {
        throw new Error(`the ledger's record of where its block files end (${META_BLOCK_FILES}) is missing or before its newest block: not opened`);
      }
      this.#blockFiles = BlockFiles.open(join(this.#location, 'blocks'), end);
    } catch (error) {
      await this.db.close();
      throw error;
    }
    this.#current = new SharedSnapshot(this.db.snapshot());
  }

  async close(): Promise<void> {
    this.#current?.release();
    this.#current = undefined;
    await this.#blockFiles?.close();
    this.#blockFiles = undefined;
    if (this.db.status === 'open') await this.db.close();
  }

  /**
   * Writes block `number` to the block files and runs `ops` plus the block's index entry and the
   * files' new end as one LevelDB batch: the commit. With `sync`, both are flushed to disk.
   */
  async commitBlock(number: number, bytes: Uint8Array, ops: StoreOperation[], sync: boolean): Promise<void> {
    const files = this.#files();
    const location = await files.write(bytes, sync);
    const end = endAfter(location);
    await this.db.batch(
      [
        { type: 'put', key: blockKey(number), value: encodeLocation(location) },
        ...ops,
        { type: 'put', key: META_BLOCK_FILES, value: Buffer.from(JSON.stringify(end)) },
      ],
      { sync },
    );
    files.commit(location);
  }

  /** The stored bytes of block `number` (JSON), or undefined past the end. */
  async readBlockBytes(blockNumber: number): Promise<Buffer | undefined> {
    return (await this.readStoredBlock(blockNumber))?.bytes;
  }

  /**
   * Block `number`'s bytes and where they are in the block files (no location: a block of a
   * ledger written before block files, kept inline in the index), or undefined past the end.
   */
  async readStoredBlock(blockNumber: number): Promise<{ bytes: Buffer; location?: BlockLocation } | undefined> {
    const stored = await this.db.get(blockKey(blockNumber));
    if (stored === undefined) return undefined;
    const location = decodeLocation(stored);
    return location ? { bytes: await this.#files().read(location), location } : { bytes: stored };
  }

  /** The committed end of the block files, as the metadata records it. */
  get blockFilesEnd(): BlockFilesEnd {
    return this.#files().end;
  }

  /** The current committed-state snapshot; call `release()` when done. */
  acquireSnapshot(): SharedSnapshot {
    if (!this.#current) throw new Error('ledger store is not open');
    return this.#current.acquire();
  }

  /** Called after a commit, so new simulations see the new state. */
  refreshSnapshot(): void {
    const previous = this.#current;
    this.#current = new SharedSnapshot(this.db.snapshot());
    previous?.release();
  }

  readMeta(): LedgerMeta {
    const height = this.db.getSync(META_HEIGHT);
    return {
      height: height ? Number(height.toString()) : 0,
      lastHash: this.db.getSync(META_LAST_HASH)?.toString() ?? '',
      commitHash: this.db.getSync(META_COMMIT_HASH)?.toString() ?? '',
    };
  }

  /** Committed state at `snapshot` (or latest, when omitted). */
  getState(namespace: string, key: string, snapshot?: SharedSnapshot): VersionedValue | undefined {
    const stored = this.db.getSync(stateKey(namespace, key), snapshot ? { snapshot: snapshot.snapshot } : {});
    return stored === undefined ? undefined : decodeVersioned(stored);
  }

  /** Iterates committed state in [start, end) in key-byte order. */
  async *iterateState(
    namespace: string,
    start: string,
    end: string,
    options: { snapshot?: SharedSnapshot; lte?: string } = {},
  ): AsyncGenerator<{ key: string } & VersionedValue> {
    const range = stateRange(namespace, start, end);
    const bounds = options.lte === undefined ? range : { gte: range.gte, lte: stateKey(namespace, options.lte) };
    const prefixLength = stateKey(namespace, '').length;
    const iterator = this.db.iterator({ ...bounds, snapshot: options.snapshot?.snapshot });
    try {
      for (;;) {
        const entries = await iterator.nextv(256);
        if (entries.length === 0) return;
        for (const [key, stored] of entries) yield { key: key.slice(prefixLength), ...decodeVersioned(stored) };
      }
    } finally {
      await iterator.close();
    }
  }

  /**
   * History of a key, newest first (as Fabric's getHistoryForKey): the index names the
   * transactions that wrote the key; each one's write, id and time are read from its block.
   */
  async history(namespace: string, key: string): Promise<HistoryEntry[]> {
    const prefix = historyKeyPrefix(namespace, key);
    const entries: HistoryEntry[] = [];
    const blocks = new Map<number, StoredBlock | undefined>();
    // Entry keys are the prefix plus exactly 24 hex characters; '~' sorts after every hex digit.
    for await (const [indexKey, value] of this.db.iterator({ gte: prefix, lt: `${prefix}~`, reverse: true })) {
      // A ledger written before block files kept each entry whole in the index.
      if (value.length > 0) {
        entries.push(JSON.parse(value.toString()) as HistoryEntry);
        continue;
      }
      const [blockNumber, txNumber] = versionOfHistoryKey(indexKey);
      if (!blocks.has(blockNumber)) blocks.set(blockNumber, await this.getBlock(blockNumber));
      entries.push(historyEntryOf(blocks.get(blockNumber), blockNumber, txNumber, key));
    }
    return entries;
  }

  async getBlock(blockNumber: number): Promise<StoredBlock | undefined> {
    const stored = await this.readBlockBytes(blockNumber);
    return stored === undefined ? undefined : parseBlock(stored.toString());
  }

  #files(): BlockFiles {
    if (!this.#blockFiles) throw new Error('ledger store is not open');
    return this.#blockFiles;
  }

  getTxLocation(txId: string): TxLocation | undefined {
    const stored = this.db.getSync(txKey(txId));
    return stored === undefined ? undefined : (JSON.parse(stored.toString()) as TxLocation);
  }
}

/** The write to `key` by transaction `txNumber` of block `blockNumber`, as a history entry. */
function historyEntryOf(block: StoredBlock | undefined, blockNumber: number, txNumber: number, key: string): HistoryEntry {
  const text = block?.data[txNumber];
  const envelope = text === undefined ? undefined : (JSON.parse(text) as Envelope);
  const write = envelope?.type === 'endorser' ? envelope.rwset.writes.find((w) => w.key === key) : undefined;
  if (envelope?.type !== 'endorser' || !write) {
    throw new Error(`the history index names transaction ${txNumber} of block ${blockNumber}, which did not write this key`);
  }
  const proposal = JSON.parse(envelope.proposal) as Proposal;
  return { txId: proposal.txId, isDelete: write.isDelete, value: write.value ?? '', timestamp: proposal.timestamp };
}
