/**
 * Blocks as the embedded ledger stores them, with Fabric's hashing rules:
 * - data hash = SHA-256 over the concatenated serialized transactions;
 * - header hash = SHA-256 of DER `SEQUENCE { INTEGER number, OCTET STRING previous_hash,
 *   OCTET STRING data_hash }` (Fabric's `BlockHeaderBytes`);
 * - metadata (validation codes, commit hash) is not covered by the header hash, as in Fabric;
 *   the running commit hash makes state and validation results tamper-evident instead.
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import type { ReadWriteSet } from './rwset';

export interface BlockHeader {
  readonly number: number;
  /** Hex SHA-256 header hash of the previous block ('' for the genesis block). */
  readonly previousHash: string;
  /** Hex SHA-256 over the concatenated `data` strings. */
  readonly dataHash: string;
}

export interface BlockMetadata {
  /** One Fabric validation code per transaction (TRANSACTIONS_FILTER). */
  readonly validationCodes: readonly number[];
  /** Hex running hash over validation codes and state updates, chained to the previous block's. */
  readonly commitHash: string;
}

export interface StoredBlock {
  readonly header: BlockHeader;
  /** Serialized transactions (JSON strings), exactly the bytes the data hash covers. */
  readonly data: readonly string[];
  readonly metadata: BlockMetadata;
}

/** A committed endorser transaction, as serialized into a block. */
export interface TransactionEnvelope {
  readonly type: 'endorser';
  /** The signed proposal, exactly as signed (JSON of `Proposal`). */
  readonly proposal: string;
  /** Base64 DER ECDSA signature by the creator over `proposal`. */
  readonly signature: string;
  readonly rwset: ReadWriteSet;
  readonly response: { readonly status: number; readonly payload: string };
  readonly event?: { readonly name: string; readonly payload: string };
}

/** The genesis transaction: the channel's configuration. */
export interface ConfigEnvelope {
  readonly type: 'config';
  readonly config: ChannelConfig;
}

export interface ChannelConfig {
  readonly channelId: string;
  readonly organisations: ReadonlyArray<{ readonly mspId: string; readonly rootCertificates: readonly string[] }>;
}

export type Envelope = TransactionEnvelope | ConfigEnvelope;

export function sha256Hex(...parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

export function dataHash(data: readonly string[]): string {
  return sha256Hex(...data);
}

export function headerHash(header: BlockHeader): string {
  const { asn1 } = forge;
  const der = asn1
    .toDer(
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, integerBytes(header.number)),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, forge.util.hexToBytes(header.previousHash)),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, forge.util.hexToBytes(header.dataHash)),
      ]),
    )
    .getBytes();
  return sha256Hex(Buffer.from(der, 'binary'));
}

/** Minimal two's-complement big-endian bytes of a non-negative integer, as DER wants them. */
function integerBytes(value: number): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return forge.util.hexToBytes(hex);
}

export interface StateUpdate {
  readonly key: string;
  readonly isDelete: boolean;
  readonly value?: string;
}

/**
 * Fabric's commit hash, simplified: SHA-256(previous ‖ block number ‖ validation codes ‖ each
 * valid write in block order). Any change to state updates or validation codes changes it.
 */
export function commitHash(
  previous: string,
  blockNumber: number,
  validationCodes: readonly number[],
  updates: readonly StateUpdate[],
): string {
  const hash = createHash('sha256');
  hash.update(previous);
  hash.update(`|${blockNumber}|${validationCodes.join(',')}|`);
  for (const update of updates) {
    hash.update(update.key);
    hash.update(update.isDelete ? '\u0000D' : `\u0000W${update.value ?? ''}`);
    hash.update('\u0000');
  }
  return hash.digest('hex');
}

export function serializeBlock(block: StoredBlock): string {
  return JSON.stringify(block);
}

export function parseBlock(text: string): StoredBlock {
  return JSON.parse(text) as StoredBlock;
}
