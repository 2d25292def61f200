/**
 * The embedded ledger's LevelDB key layout. One database, one prefix per keyspace:
 *
 * | prefix | key | value |
 * |---|---|---|
 * | `S:` | `S:<namespace>:<state key>` | version (block u64 BE, tx u32 BE) ‖ value bytes |
 * | `H:` | `H:<namespace>:<len 8 hex>:<state key><block 16 hex><tx 8 hex>` | empty, as in Fabric's history database: the value, transaction id and time are read from the block (a ledger written before block files: history entry JSON) |
 * | `B:` | `B:<block number 16 hex>` | where the block is: file u32, offset u64, length u32 (block-files.ts) — or, in a ledger written before block files, the block JSON |
 * | `T:` | `T:<tx id>` | `{ block, tx, code }` JSON |
 * | `M:` | `M:height`, `M:lastHash`, `M:commitHash`, `M:blockFiles` | ledger metadata |
 *
 * Keys are UTF-8 and LevelDB compares them bytewise, which is the order Fabric's peer uses.
 * The history key carries the state key's length so that one key's entries can never be mistaken
 * for those of a longer key that starts with it (composite keys end in `\u0000`).
 */

export type Version = readonly [block: number, tx: number];

export const STATE_PREFIX = 'S:';
export const HISTORY_PREFIX = 'H:';
export const BLOCK_PREFIX = 'B:';
export const TX_PREFIX = 'T:';
export const META_HEIGHT = 'M:height';
export const META_LAST_HASH = 'M:lastHash';
export const META_COMMIT_HASH = 'M:commitHash';
/** Where the committed block files end (block-files.ts): `{ file, end }` JSON. */
export const META_BLOCK_FILES = 'M:blockFiles';

const HEX16 = 16;
const HEX8 = 8;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

export function stateKey(namespace: string, key: string): string {
  return `${STATE_PREFIX}${namespace}:${key}`;
}

/** The LevelDB bounds of a state range; an empty `end` means to the end of the namespace. */
export function stateRange(namespace: string, start: string, end: string): { gte: string; lt: string } {
  return {
    gte: stateKey(namespace, start),
    // ';' is the character after ':', so `S:<ns>;` bounds every key of the namespace.
    lt: end === '' ? `${STATE_PREFIX}${namespace};` : stateKey(namespace, end),
  };
}

export function historyKeyPrefix(namespace: string, key: string): string {
  return `${HISTORY_PREFIX}${namespace}:${hex(key.length, HEX8)}:${key}`;
}

export function historyKey(namespace: string, key: string, version: Version): string {
  return `${historyKeyPrefix(namespace, key)}${hex(version[0], HEX16)}${hex(version[1], HEX8)}`;
}

/** The value of a history index entry: nothing (the key is the entry). */
export const HISTORY_ENTRY = Buffer.alloc(0);

/** The version (block, transaction) a history key ends with. */
export function versionOfHistoryKey(key: string): Version {
  const suffix = key.slice(-(HEX16 + HEX8));
  return [parseInt(suffix.slice(0, HEX16), 16), parseInt(suffix.slice(HEX16), 16)];
}

export function blockKey(blockNumber: number): string {
  return `${BLOCK_PREFIX}${hex(blockNumber, HEX16)}`;
}

export function txKey(txId: string): string {
  return `${TX_PREFIX}${txId}`;
}

const VERSION_BYTES = 12;

/** State values are stored with their version in front, so a read yields both in one get. */
export function encodeVersioned(version: Version, value: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(VERSION_BYTES + value.length);
  out.writeBigUInt64BE(BigInt(version[0]), 0);
  out.writeUInt32BE(version[1], 8);
  out.set(value, VERSION_BYTES);
  return out;
}

export function decodeVersioned(stored: Uint8Array): { version: Version; value: Buffer } {
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  return {
    version: [Number(buf.readBigUInt64BE(0)), buf.readUInt32BE(8)],
    value: buf.subarray(VERSION_BYTES),
  };
}

export function sameVersion(a: Version | null, b: Version | null): boolean {
  if (a === null || b === null) return a === b;
  return a[0] === b[0] && a[1] === b[1];
}
