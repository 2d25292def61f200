/**
 * Re-walks the embedded ledger from genesis and proves it consistent: every block's number,
 * data hash and link to the previous header hash; every transaction's id (from nonce + creator)
 * and creator signature; the running commit hash, by replaying the valid write sets into a
 * fresh state; and finally that the stored state, history index and transaction index are
 * exactly what the replay produced. Reports the first mismatch found.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ValidationCode } from '../errors';
import { commitHash, dataHash, headerHash, parseBlock, type Envelope, type StoredBlock } from './block';
import {
  BLOCK_PREFIX,
  HISTORY_PREFIX,
  META_BLOCK_FILES,
  META_COMMIT_HASH,
  META_HEIGHT,
  META_LAST_HASH,
  STATE_PREFIX,
  encodeVersioned,
  HISTORY_ENTRY,
  historyKey,
  stateKey,
  txKey,
} from './keys';
import { endAfter, type BlockFilesEnd } from './block-files';
import { LedgerStore } from './ledger-store';
import { computeTxId, parseProposal } from './proposal';

export interface VerifyMismatch {
  readonly where: 'block' | 'transaction' | 'state' | 'history' | 'index' | 'meta';
  readonly block?: number;
  readonly key?: string;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly height: number;
  readonly transactions: number;
  readonly stateKeys: number;
  readonly mismatch?: VerifyMismatch;
}

export interface VerifyOptions {
  /** Also verify every creator signature (default true). */
  readonly signatures?: boolean;
}

class Mismatch extends Error {
  constructor(readonly info: VerifyMismatch) {
    super(info.detail);
  }
}

const digest = (value: Uint8Array | string): string => createHash('sha256').update(value).digest('base64');

/** Verifies the ledger stored at `location` (a path, or the store of an open ledger). */
export async function verifyLedger(location: string | LedgerStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const store = typeof location === 'string' ? new LedgerStore(location) : location;
  if (typeof location === 'string') await store.open();
  // Expected derived keyspaces, as digests of their stored values.
  const expected = new Map<string, string>();
  const keys = new Map<string, KeyObject>();
  let transactions = 0;
  let height = 0;
  try {
    const meta = store.readMeta();
    let previousHash = '';
    let runningCommitHash = '';
    let lastBlockEnd: BlockFilesEnd = { file: 0, end: 0 };
    for (; ; height++) {
      let stored: Awaited<ReturnType<LedgerStore['readStoredBlock']>>;
      try {
        stored = await store.readStoredBlock(height);
      } catch (error) {
        throw new Mismatch({ where: 'block', block: height, detail: `block ${height} cannot be read: ${(error as Error).message}` });
      }
      if (stored === undefined) break;
      let block: StoredBlock;
      try {
        block = parseBlock(stored.bytes.toString());
      } catch {
        throw new Mismatch({ where: 'block', block: height, detail: `block ${height} cannot be parsed` });
      }
      const location = stored.location;
      if (location) lastBlockEnd = endAfter(location);
      const fail = (detail: string): never => {
        throw new Mismatch({ where: 'block', block: height, detail });
      };
      if (block.header.number !== height) fail(`block ${height} says it is number ${block.header.number}`);
      if (block.header.previousHash !== previousHash) fail(`block ${height} does not link to the previous block's hash`);
      if (dataHash(block.data) !== block.header.dataHash) fail(`block ${height} data does not match its data hash`);
      if (block.metadata.validationCodes.length !== block.data.length) fail(`block ${height} has the wrong number of validation codes`);

      const updates = replayBlock(block, height, keys, options.signatures ?? true, expected, location === undefined);
      transactions += block.data.length;
      runningCommitHash = commitHash(runningCommitHash, height, block.metadata.validationCodes, updates);
      if (runningCommitHash !== block.metadata.commitHash) {
        fail(`block ${height} commit hash does not match its validation codes and state updates`);
      }
      previousHash = headerHash(block.header);
    }
    if (meta.height !== height) {
      throw new Mismatch({ where: 'meta', detail: `metadata says height ${meta.height}, blocks say ${height}` });
    }
    if (meta.lastHash !== previousHash) throw new Mismatch({ where: 'meta', detail: 'metadata last block hash is wrong' });
    if (meta.commitHash !== runningCommitHash) throw new Mismatch({ where: 'meta', detail: 'metadata commit hash is wrong' });
    const filesEnd = store.blockFilesEnd;
    if (filesEnd.file !== lastBlockEnd.file || filesEnd.end !== lastBlockEnd.end) {
      throw new Mismatch({ where: 'meta', detail: 'metadata says the block files end elsewhere than the last block' });
    }

    let stateKeys = 0;
    for await (const [key, value] of store.db.iterator()) {
      if (key === META_HEIGHT || key === META_LAST_HASH || key === META_COMMIT_HASH || key === META_BLOCK_FILES || key.startsWith(BLOCK_PREFIX)) continue;
      const where = key.startsWith(STATE_PREFIX) ? 'state' : key.startsWith(HISTORY_PREFIX) ? 'history' : 'index';
      if (where === 'state') stateKeys++;
      const want = expected.get(key);
      if (want === undefined) throw new Mismatch({ where, key, detail: `${where} entry ${JSON.stringify(key)} is not produced by any transaction` });
      if (want !== digest(value)) throw new Mismatch({ where, key, detail: `${where} entry ${JSON.stringify(key)} differs from the replayed value` });
      expected.delete(key);
    }
    const missing = expected.keys().next();
    if (!missing.done) {
      const key = missing.value;
      const where = key.startsWith(STATE_PREFIX) ? 'state' : key.startsWith(HISTORY_PREFIX) ? 'history' : 'index';
      throw new Mismatch({ where, key, detail: `${where} entry ${JSON.stringify(key)} is missing` });
    }
    return { ok: true, height, transactions, stateKeys };
  } catch (error) {
    if (error instanceof Mismatch) return { ok: false, height, transactions, stateKeys: 0, mismatch: error.info };
    throw error;
  } finally {
    if (typeof location === 'string') await store.close();
  }
}

/** Checks each transaction of a block and records what its valid writes must have produced. */
function replayBlock(
  block: StoredBlock,
  number: number,
  keys: Map<string, KeyObject>,
  checkSignatures: boolean,
  expected: Map<string, string>,
  /** A block of a ledger written before block files: its history entries carry the write. */
  inline: boolean,
) {
  const seen = new Set<string>();
  const candidates = block.data.map((text, index) => {
    const fail = (detail: string): never => {
      throw new Mismatch({ where: 'transaction', block: number, detail: `transaction ${index}: ${detail}` });
    };
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return fail('cannot be parsed');
    }
    if (envelope.type === 'config') {
      if (number !== 0) fail('configuration transactions are only allowed in the genesis block');
      return undefined;
    }
    const proposal = parseProposal(Buffer.from(envelope.proposal, 'utf8'));
    if (computeTxId(Buffer.from(proposal.nonce, 'base64'), proposal.creator) !== proposal.txId) fail('id does not derive from nonce and creator');
    if (checkSignatures) {
      let key = keys.get(proposal.creator.idBytes);
      if (!key) {
        key = createPublicKey(proposal.creator.idBytes);
        keys.set(proposal.creator.idBytes, key);
      }
      if (!verify('sha256', Buffer.from(envelope.proposal, 'utf8'), key, Buffer.from(envelope.signature, 'base64'))) {
        fail('creator signature does not verify');
      }
    }
    const code = block.metadata.validationCodes[index] as number;
    if (code !== ValidationCode.DUPLICATE_TXID && !seen.has(proposal.txId)) {
      seen.add(proposal.txId);
      expected.set(txKey(proposal.txId), digest(JSON.stringify({ block: number, tx: index, code })));
    }
    return { envelope, proposal, code };
  });

  // Replay the valid write sets in block order, as the commit applied them.
  const updates: Array<{ key: string; isDelete: boolean; value?: string }> = [];
  for (const [index, candidate] of candidates.entries()) {
    if (!candidate || candidate.code !== ValidationCode.VALID) continue;
    const { envelope, proposal } = candidate;
    const namespace = envelope.rwset.namespace;
    for (const write of envelope.rwset.writes) {
      const version = [number, index] as const;
      const fullKey = stateKey(namespace, write.key);
      if (write.isDelete) expected.delete(fullKey);
      else expected.set(fullKey, digest(encodeVersioned(version, Buffer.from(write.value ?? '', 'base64'))));
      const entry = inline
        ? JSON.stringify({ txId: proposal.txId, isDelete: write.isDelete, value: write.value ?? '', timestamp: proposal.timestamp })
        : HISTORY_ENTRY;
      expected.set(historyKey(namespace, write.key, version), digest(entry));
      updates.push(write.isDelete ? { key: write.key, isDelete: true } : { key: write.key, isDelete: false, value: write.value ?? '' });
    }
  }
  return updates;
}
