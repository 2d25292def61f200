/**
 * Bulk collection (应归尽归, README flow 2): up to 10 000 licenses in one request, one seal
 * signature over the canonical BatchManifest (batch id, Merkle root, size), each document carrying
 * its Merkle proof, recorded with `license:IssueBatch` in chunks of at most the chaincode's limit.
 *
 * Failures are per item, by index, and never fail the rest:
 * - what the gateway can judge (shape, fields schema, holder code, type authorisation, an
 *   identifier twice in the request) is refused before the Merkle tree is built, so the tree holds
 *   only licenses the gateway believes good;
 * - the chaincode refuses a whole chunk for one bad license (`licenses[i]: …`): that license is
 *   reported with the chaincode's code and the chunk is submitted again without it.
 *
 * Resuming: the batch id is derived from the issuer's Merkle root, so the same request sent again
 * (after a crash, or without an Idempotency-Key) is the same batch; the chaincode skips licenses it
 * already recorded for it, and they are reported as issued.
 */
import type { FastifyInstance } from 'fastify';
import Ajv, { type ValidateFunction } from 'ajv';
import { CodedError } from '../domain/coded-error';
import { parseDigest } from '../domain/digest';
import { BATCH_MANIFEST_FORMAT, batchManifestBytes, type BatchManifest, type SealedLicense } from '../domain/license-document';
import { MerkleTree } from '../domain/merkle';
import { EndorseError } from '../ledger/errors';
import { toProblemError } from '../service/error-handler';
import { evaluate, submit } from '../service/ledger-calls';
import { PROBLEMS, ProblemError, type Problem } from '../service/problem';
import type { Principal } from '../service/principal';
import {
  LICENSE_INPUT_SCHEMA,
  prepareLicense,
  readLedger,
  resolveSeal,
  sealBytes,
  type IssuingContext,
  type LicenseInput,
  type PreparedLicense,
} from './license-issuance';
import type { KeyringSeal } from './seal-keyring';

/** Most licenses one request may carry (api.md). */
export const MAX_BATCH_REQUEST = 10_000;
/** Most licenses one `license:IssueBatch` transaction accepts (chaincode `MAX_BATCH_LICENSES`). */
export const LEDGER_BATCH_LIMIT = 1000;
/** Chunks submitted at once after the first has recorded the batch header. */
const CHUNK_CONCURRENCY = 4;

export type BatchItemResult = { readonly index: number; readonly identifier: string } | { readonly index: number; readonly error: Problem };

export interface BatchResult {
  readonly batchId: string;
  /** `sm3:` Merkle root of the sealed licenses' digests; null when no license was valid. */
  readonly root: string | null;
  /** Licenses under the root (the manifest's size). */
  readonly size: number;
  readonly txIds: string[];
  readonly issued: number;
  readonly failed: number;
  /** One entry per request item, in request order. */
  readonly results: BatchItemResult[];
}

/** The routes' stance (nothing coerced or stripped), for validating items one by one. */
const itemAjv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
let validateItem: ValidateFunction | undefined;

interface Candidate {
  readonly index: number;
  readonly prepared: PreparedLicense;
}

interface Leaf extends Candidate {
  readonly sealed: SealedLicense;
}

function problemOf(error: unknown): Problem {
  return toProblemError(error).toProblem();
}

/** The chaincode's answer to a refused chunk names the license: `licenses[i]: …`. */
function refusedItem(error: unknown): number | undefined {
  if (!(error instanceof EndorseError)) return undefined;
  const match = /^licenses\[(\d+)\]: /.exec(error.detail);
  return match ? Number(match[1]) : undefined;
}

/**
 * Issues many licenses as `principal` under one batch seal.
 * @param items the request's `licenses` (each validated here, so one malformed item fails alone).
 * @throws the chaincode's `FORBIDDEN` / `SEAL_NOT_AUTHORIZED` (nothing can be issued), or a
 * refusal of the first chunk that is not about one license (e.g. the batch id started with
 * another seal: `CONFLICT`).
 */
export async function issueBatch(app: FastifyInstance, principal: Principal, items: readonly unknown[]): Promise<BatchResult> {
  if (items.length > MAX_BATCH_REQUEST) throw new ProblemError('PAYLOAD_TOO_LARGE', `at most ${MAX_BATCH_REQUEST} licenses per batch`);
  const seal = await resolveSeal(app, principal);
  validateItem ??= itemAjv.compile(LICENSE_INPUT_SCHEMA);
  const failures = new Map<number, Problem>();
  const fail = (index: number, error: unknown): void => void failures.set(index, problemOf(error));

  // 1. What the gateway can judge, per item.
  const org = await evaluate<IssuingContext['org']>(principal, 'registry:GetOrganisation', principal.mspId);
  const types = new Map<string, IssuingContext['type'] | undefined>();
  const candidates: Candidate[] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    try {
      if (!validateItem(item)) {
        const errors = (validateItem.errors ?? []).map((e) => {
          const params = e.params as Record<string, unknown>;
          const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
          const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
          return { field: `body/licenses/${index}${e.instancePath}${extra}${missing}`, message: e.message ?? 'is not valid' };
        });
        throw new ProblemError('VALIDATION_FAILED', errors.map((e) => `${e.field} ${e.message}`).join('; '), { errors });
      }
      const input = item as unknown as LicenseInput;
      if (!types.has(input.typeCode)) types.set(input.typeCode, await readLedger<IssuingContext['type']>(principal, 'registry:GetLicenseType', input.typeCode));
      const type = types.get(input.typeCode);
      if (!type) throw new CodedError('NOT_FOUND', `license type ${input.typeCode} is not registered`);
      // The chaincode's rule, judged here too so that one such license does not cost a chunk retry.
      if (!type.active) throw new CodedError('TYPE_NOT_AUTHORIZED', `license type ${type.typeCode} is retired`);
      if (!type.issuers.includes(principal.mspId)) {
        throw new CodedError('TYPE_NOT_AUTHORIZED', `organisation ${principal.mspId} is not authorised to issue type ${type.typeCode}`);
      }
      const prepared = prepareLicense(app, { org, type }, input, `body/licenses/${index}`);
      const first = seen.get(prepared.document.identifier);
      if (first !== undefined) throw new ProblemError('CONFLICT', `license ${prepared.document.identifier} is also item ${first} of this batch`);
      seen.set(prepared.document.identifier, index);
      candidates.push({ index, prepared });
    } catch (error) {
      fail(index, error);
    }
  }

  // 2. One seal signature over the manifest of what remains.
  const txIds: string[] = [];
  const issuedAt = new Map<number, string>();
  let manifest: BatchManifest | undefined;
  if (candidates.length > 0) {
    const tree = new MerkleTree(candidates.map((c) => c.prepared.digest));
    manifest = { format: BATCH_MANIFEST_FORMAT, batchId: `batch-${parseDigest(tree.root).hex.slice(0, 40)}`, root: tree.root, size: tree.size };
    const signature = await sealBytes(seal, batchManifestBytes(manifest), manifest.batchId);
    const batch = manifest;
    const leaves: Leaf[] = candidates.map((c, leafIndex) => ({
      ...c,
      sealed: {
        document: c.prepared.document,
        digest: c.prepared.digest,
        seal: { format: seal.format, sealId: seal.sealId, signature, signerName: principal.name, sealName: seal.name, batch: { manifest: batch, proof: tree.proof(leafIndex) } },
      },
    }));

    // 3. The ledger, chunk by chunk: sequentially until one has recorded the batch header, then in parallel.
    const chunks: Leaf[][] = [];
    for (let i = 0; i < leaves.length; i += LEDGER_BATCH_LIMIT) chunks.push(leaves.slice(i, i + LEDGER_BATCH_LIMIT));
    const run = (chunk: Leaf[], first: boolean) => submitChunk(app, principal, seal, batch, chunk, txIds, issuedAt, fail, first);
    let next = 0;
    let started = false;
    while (next < chunks.length && !started) started = await run(chunks[next++] as Leaf[], true);
    const rest = chunks.slice(next);
    await Promise.all(
      Array.from({ length: Math.min(CHUNK_CONCURRENCY, rest.length) }, async () => {
        for (let chunk = rest.shift(); chunk; chunk = rest.shift()) await run(chunk, false);
      }),
    );
  }

  const results: BatchItemResult[] = items.map((_, index) => {
    const identifier = issuedAt.get(index);
    if (identifier !== undefined) return { index, identifier };
    return { index, error: failures.get(index) ?? problemOf(new ProblemError('INTERNAL_ERROR', 'the license was not recorded')) };
  });
  return {
    batchId: manifest?.batchId ?? 'none',
    root: manifest?.root ?? null,
    size: manifest?.size ?? 0,
    txIds,
    issued: issuedAt.size,
    failed: items.length - issuedAt.size,
    results,
  };
}

/**
 * The `license:IssueBatch` argument of a chunk, as JSON text made by `JSON.stringify` (several
 * times faster than canonical JSON on a thousand licenses; the chaincode parses and validates it
 * like any other, and no one hashes it). Every value is a string, an integer or null.
 */
function issueBatchArgument(seal: KeyringSeal, manifest: BatchManifest, leaves: readonly Leaf[]): string {
  return JSON.stringify({
    batchId: manifest.batchId,
    root: manifest.root,
    size: manifest.size,
    sealId: seal.sealId,
    licenses: leaves.map(({ prepared, sealed }) => ({
      identifier: prepared.document.identifier,
      typeCode: prepared.document.typeCode,
      ...prepared.ledger,
      proof: sealed.seal.batch?.proof,
    })),
  });
}

/**
 * Records one chunk, dropping the licenses the chaincode refuses one at a time.
 * @returns true when a transaction committed (so the batch header exists).
 */
async function submitChunk(
  app: FastifyInstance,
  principal: Principal,
  seal: KeyringSeal,
  manifest: BatchManifest,
  chunk: Leaf[],
  txIds: string[],
  issuedAt: Map<number, string>,
  fail: (index: number, error: unknown) => void,
  first: boolean,
): Promise<boolean> {
  let pending = chunk;
  while (pending.length > 0) {
    try {
      const { result, txId, blockNumber } = await submit<{ skipped: string[] }>(app, principal, 'license:IssueBatch', issueBatchArgument(seal, manifest, pending));
      txIds.push(txId);
      // Licenses skipped as already recorded (a resumed batch) keep the document stored then,
      // unless this gateway stopped before storing it.
      const skipped = new Set(result.skipped);
      const recheck = pending.filter((leaf) => skipped.has(leaf.prepared.document.identifier));
      const stored = await app.lc.licenses.getMany(recheck.map((leaf) => leaf.prepared.document.identifier));
      const kept = new Set(recheck.filter((_, i) => stored[i] !== undefined));
      const fresh = pending.filter((leaf) => !kept.has(leaf));
      for (const leaf of pending) issuedAt.set(leaf.index, leaf.prepared.document.identifier);
      await app.lc.licenses.put(...fresh.map((leaf) => ({ sealed: leaf.sealed, txId, blockNumber })));
      return true;
    } catch (error) {
      const position = refusedItem(error);
      const refused = position === undefined ? undefined : pending[position];
      if (refused) {
        const { code, detail } = error as EndorseError;
        fail(refused.index, new ProblemError(code in PROBLEMS ? code : 'VALIDATION_FAILED', detail.replace(/^licenses\[\d+\]: /, '')));
        pending = pending.filter((leaf) => leaf !== refused);
        continue;
      }
      // Not about one license: the first chunk fails the request, a later one its own licenses.
      // The seal (kept briefly, see IssuingCache) may be why: ask the ledger afresh next time.
      if (error instanceof EndorseError) app.lc.issuing.forget(principal);
      if (first) throw error;
      for (const leaf of pending) fail(leaf.index, error);
      return false;
    }
  }
  return false;
}
