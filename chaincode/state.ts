/**
 * World state access: every value is canonical JSON (RFC 8785), every key a composite key, every
 * listing a partial-composite-key scan. Reads see committed state only (Fabric semantics): a
 * transaction never reads back what it wrote, so callers keep what they wrote in memory.
 *
 * Key layout (object type → attributes; primary records first, then indexes whose value is one
 * NUL byte — Fabric treats an empty value as a delete):
 *
 * | object type        | attributes                          | value                         |
 * |--------------------|-------------------------------------|-------------------------------|
 * | `config`           | `authority`                         | bootstrap record              |
 * | `org`              | mspId                               | organisation                  |
 * | `org~code`         | uscc, mspId                         | index                         |
 * | `type`             | typeCode                            | license type                  |
 * | `license`          | identifier                          | license                       |
 * | `license~holder`   | holderRef, identifier               | index                         |
 * | `license~issuer`   | issuerMsp, typeCode, identifier     | index                         |
 * | `batch`            | issuerMsp, batchId                  | batch header (root, size)     |
 * | `batch~chunk`      | issuerMsp, batchId, txId            | one transaction of a batch    |
 * | `material`         | materialId                          | material                      |
 * | `material~dedupe`  | ownerRef, digest                    | `{materialId}`                |
 * | `material~owner`   | ownerRef, materialId                | index                         |
 * | `material~digest`  | digest, materialId                  | index                         |
 * | `grant`            | grantId                             | grant                         |
 * | `grant~owner`      | ownerRef, grantId                   | index                         |
 * | `grant~material`   | materialId, grantId                 | index                         |
 * | `receipt`          | receiptId                           | receipt                       |
 * | `receipt~material` | materialId, receiptId               | index                         |
 * | `receipt~owner`    | ownerRef, receiptId                 | index                         |
 * | `dispute`          | disputeId                           | dispute                       |
 * | `dispute~status`   | status, disputeId                   | index                         |
 * | `dispute~assignee` | assigneeMsp, disputeId              | index                         |
 * | `dispute~holder`   | holderRef, disputeId                | index                         |
 * | `flag`             | subjectKind, subjectId, disputeId   | `{disputeId, since}`          |
 * | `seal`             | sealId                              | seal (with state intervals)   |
 * | `seal~owner`       | ownerMsp, sealId                    | index                         |
 * | `seal~auth`        | sealId, subject                     | authorisation windows         |
 *
 * No key is written by two unrelated callers (no counters): ids come from the caller (identifiers,
 * material/seal/batch ids) or are the transaction id (grants, receipts, disputes).
 */
import type { Context } from 'fabric-contract-api';
import { canonicalJson } from '../domain/canonical-json';

export const OBJECT = {
  config: 'config',
  org: 'org',
  orgByCode: 'org~code',
  type: 'type',
  license: 'license',
  licenseByHolder: 'license~holder',
  licenseByIssuer: 'license~issuer',
  batch: 'batch',
  batchChunk: 'batch~chunk',
  material: 'material',
  materialDedupe: 'material~dedupe',
  materialByOwner: 'material~owner',
  materialByDigest: 'material~digest',
  grant: 'grant',
  grantByOwner: 'grant~owner',
  grantByMaterial: 'grant~material',
  receipt: 'receipt',
  receiptByMaterial: 'receipt~material',
  receiptByOwner: 'receipt~owner',
  dispute: 'dispute',
  disputeByStatus: 'dispute~status',
  disputeByAssignee: 'dispute~assignee',
  disputeByHolder: 'dispute~holder',
  flag: 'flag',
  seal: 'seal',
  sealByOwner: 'seal~owner',
  sealAuth: 'seal~auth',
  /** A retried request's first record: [operation, caller MSP, request id] → `{ id }` (requests.ts). */
  request: 'request',
} as const;

export type ObjectType = (typeof OBJECT)[keyof typeof OBJECT];

const INDEX_VALUE = Buffer.from([0]);

export function key(ctx: Context, type: ObjectType, attributes: readonly string[]): string {
  return ctx.stub.createCompositeKey(type, [...attributes]);
}

export async function getRecord<T>(ctx: Context, type: ObjectType, attributes: readonly string[]): Promise<T | undefined> {
  const bytes = await ctx.stub.getState(key(ctx, type, attributes));
  if (!bytes || bytes.length === 0) return undefined;
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

export async function exists(ctx: Context, type: ObjectType, attributes: readonly string[]): Promise<boolean> {
  const bytes = await ctx.stub.getState(key(ctx, type, attributes));
  return !!bytes && bytes.length > 0;
}

export async function putRecord(ctx: Context, type: ObjectType, attributes: readonly string[], value: unknown): Promise<void> {
  await ctx.stub.putState(key(ctx, type, attributes), Buffer.from(canonicalJson(value), 'utf8'));
}

export async function putIndex(ctx: Context, type: ObjectType, attributes: readonly string[]): Promise<void> {
  await ctx.stub.putState(key(ctx, type, attributes), INDEX_VALUE);
}

export async function deleteKey(ctx: Context, type: ObjectType, attributes: readonly string[]): Promise<void> {
  await ctx.stub.deleteState(key(ctx, type, attributes));
}

export interface Entry {
  readonly attributes: string[];
  readonly value: Buffer;
}

/** Every key under a partial composite key, in key (UTF-8 byte) order. */
export async function scan(ctx: Context, type: ObjectType, partial: readonly string[]): Promise<Entry[]> {
  const iterator = await ctx.stub.getStateByPartialCompositeKey(type, [...partial]);
  const entries: Entry[] = [];
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done || !step.value) break;
      const { attributes } = ctx.stub.splitCompositeKey(step.value.key);
      entries.push({ attributes, value: Buffer.from(step.value.value) });
    }
  } finally {
    await iterator.close();
  }
  return entries;
}

/** The last attribute of each index entry under `partial` (the id the index points to). */
export async function scanIds(ctx: Context, type: ObjectType, partial: readonly string[]): Promise<string[]> {
  const entries = await scan(ctx, type, partial);
  return entries.map((e) => e.attributes[e.attributes.length - 1] as string);
}

/** Primary records under a partial key (for `scan` over primary object types). */
export async function scanRecords<T>(ctx: Context, type: ObjectType, partial: readonly string[]): Promise<T[]> {
  const entries = await scan(ctx, type, partial);
  return entries.map((e) => JSON.parse(e.value.toString('utf8')) as T);
}

export interface HistoryEntry<T> {
  readonly txId: string;
  readonly at: string;
  readonly isDelete: boolean;
  readonly value: T | null;
}

/** A key's history (Fabric: newest first); queries only. */
export async function history<T>(ctx: Context, type: ObjectType, attributes: readonly string[]): Promise<HistoryEntry<T>[]> {
  const iterator = await ctx.stub.getHistoryForKey(key(ctx, type, attributes));
  const entries: HistoryEntry<T>[] = [];
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done || !step.value) break;
      const m = step.value;
      const seconds = Number(String(m.timestamp?.seconds ?? 0));
      const ms = seconds * 1000 + Math.floor(Number(m.timestamp?.nanos ?? 0) / 1_000_000);
      const bytes = m.value ? Buffer.from(m.value) : Buffer.alloc(0);
      entries.push({
        txId: m.txId,
        at: new Date(ms).toISOString(),
        isDelete: !!m.isDelete,
        value: m.isDelete || bytes.length === 0 ? null : (JSON.parse(bytes.toString('utf8')) as T),
      });
    }
  } finally {
    await iterator.close();
  }
  return entries;
}

/** Canonical JSON text of a transaction's answer. */
export function answer(value: unknown): string {
  return canonicalJson(value);
}
