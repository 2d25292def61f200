/**
 * Commit-time validation of a block, in block order, as Fabric's validator does it:
 * - a transaction id already on the ledger or earlier in the block → DUPLICATE_TXID;
 * - a read whose committed version moved, or of a key written by an earlier valid transaction
 *   of the same block → MVCC_READ_CONFLICT;
 * - a range query that, re-run against committed state plus the block's earlier valid writes,
 *   gives different keys or versions → PHANTOM_READ_CONFLICT.
 * Only valid transactions' writes are applied, with version (block, index in block).
 */
import { ValidationCode } from '../errors';
import { sameVersion, type Version } from './keys';
import type { LedgerStore } from './ledger-store';
import { compareKeys, type KVRead, type RangeQueryInfo, type ReadWriteSet } from './rwset';

export interface CandidateTransaction {
  readonly txId: string;
  readonly rwset: ReadWriteSet;
}

export interface BlockUpdate {
  readonly key: string;
  readonly version: Version;
  readonly isDelete: boolean;
  readonly value?: string;
  readonly txIndex: number;
}

export interface ValidationResult {
  readonly codes: number[];
  /** Valid writes in block order (a key written twice appears twice; the later wins). */
  readonly updates: BlockUpdate[];
}

export async function validateBlock(
  store: LedgerStore,
  blockNumber: number,
  transactions: readonly CandidateTransaction[],
): Promise<ValidationResult> {
  const codes: number[] = [];
  const updates: BlockUpdate[] = [];
  const written = new Map<string, BlockUpdate>(); // latest in-block write per key
  const seenTxIds = new Set<string>();

  for (const [index, tx] of transactions.entries()) {
    let code: number = ValidationCode.VALID;
    if (seenTxIds.has(tx.txId) || store.getTxLocation(tx.txId) !== undefined) {
      code = ValidationCode.DUPLICATE_TXID;
    } else if (!readsStillValid(store, tx.rwset, written)) {
      code = ValidationCode.MVCC_READ_CONFLICT;
    } else if (!(await rangesStillValid(store, tx.rwset, written))) {
      code = ValidationCode.PHANTOM_READ_CONFLICT;
    }
    seenTxIds.add(tx.txId);
    codes.push(code);
    if (code !== ValidationCode.VALID) continue;
    for (const write of tx.rwset.writes) {
      const update: BlockUpdate = {
        key: write.key,
        version: [blockNumber, index],
        isDelete: write.isDelete,
        ...(write.isDelete ? {} : { value: write.value ?? '' }),
        txIndex: index,
      };
      updates.push(update);
      written.set(write.key, update);
    }
  }
  return { codes, updates };
}

function readsStillValid(store: LedgerStore, rwset: ReadWriteSet, written: ReadonlyMap<string, BlockUpdate>): boolean {
  for (const read of rwset.reads) {
    if (written.has(read.key)) return false;
    const committed = store.getState(rwset.namespace, read.key);
    if (!sameVersion(committed?.version ?? null, read.version)) return false;
  }
  return true;
}

async function rangesStillValid(
  store: LedgerStore,
  rwset: ReadWriteSet,
  written: ReadonlyMap<string, BlockUpdate>,
): Promise<boolean> {
  for (const range of rwset.rangeQueries) {
    const now = await rerunRange(store, rwset.namespace, range, written);
    if (now.length !== range.reads.length) return false;
    for (const [i, read] of now.entries()) {
      const recorded = range.reads[i] as KVRead;
      if (read.key !== recorded.key || !sameVersion(read.version, recorded.version)) return false;
    }
  }
  return true;
}

/** The range's results now: committed state merged with the block's earlier valid writes. */
async function rerunRange(
  store: LedgerStore,
  namespace: string,
  range: RangeQueryInfo,
  written: ReadonlyMap<string, BlockUpdate>,
): Promise<KVRead[]> {
  // A range the chaincode stopped reading early is compared only up to the last key it saw.
  const last = range.itrExhausted ? undefined : range.reads.at(-1)?.key;
  if (!range.itrExhausted && last === undefined) return [];
  const inRange = (key: string): boolean =>
    compareKeys(key, range.startKey) >= 0 &&
    (last !== undefined ? compareKeys(key, last) <= 0 : range.endKey === '' || compareKeys(key, range.endKey) < 0);

  const merged = new Map<string, Version | null>();
  const options = last !== undefined ? { lte: last } : {};
  for await (const entry of store.iterateState(namespace, range.startKey, range.endKey, options)) {
    merged.set(entry.key, entry.version);
  }
  for (const [key, update] of written) {
    if (inRange(key)) merged.set(key, update.isDelete ? null : update.version);
  }
  return [...merged.entries()]
    .filter(([, version]) => version !== null)
    .sort(([a], [b]) => compareKeys(a, b))
    .map(([key, version]) => ({ key, version }));
}
