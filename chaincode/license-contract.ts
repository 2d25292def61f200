/**
 * Licenses: issue, batch issue (with the batch's Merkle root), lifecycle transitions, new versions
 * (renew / change / correct), and reads by identifier, holder reference (across versions), issuer
 * and type, plus history.
 *
 * Rules decided here, whatever the gateway says:
 * - only an organisation authorised for the type issues it (`TYPE_NOT_AUTHORIZED`), and the
 *   identifier's issuer segment is that organisation's USCC (`INVALID_IDENTIFIER`);
 * - the seal named at issuance is the issuer's own, ACTIVE at the transaction time, and the caller's
 *   identity is authorised to sign with it (`SEAL_NOT_AUTHORIZED`);
 * - only the issuing organisation changes a license (`FORBIDDEN`); transitions that make no sense —
 *   resume a revoked license, change a superseded one — are `LICENSE_STATE`;
 * - a new version (renew/change/correct) starts from a valid (01), not superseded license; its
 *   identifier is the previous one with version + 1; the two are linked both ways.
 */
import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { nextVersionIdentifier, parseLicenseIdentifier } from '../domain/license-identifier';
import { STATUS_ACTIONS, type StatusAction, canTransition } from '../domain/license-status';
import { type MerkleProof, MerkleProofChecker } from '../domain/merkle';
import { type Caller, anyRole, authorize, change, forbidden, maySeePersonal } from './access';
import { LicenseChainContract } from './base-contract';
import { checkDate, parseTime, txTime } from './clock';
import { emit } from './events';
import { openFlags } from './flags';
import type {
  BatchChunkRecord,
  BatchRecord,
  DisputeRecord,
  LicenseRecord,
  LicenseTypeRecord,
  LicenseView,
  OrganisationRecord,
  SealRecord,
  VerificationFacts,
} from './records';
import { assertSealUsable, judgeSeal } from './seal-rules';
import { OBJECT, answer, getRecord, history, putIndex, putRecord, scan, scanIds } from './state';
import { PATTERNS, S, checkArg, inputParser, object } from './validation';

/** Most licenses one batch transaction records. */
export const MAX_BATCH_LICENSES = 1000;

/** The fields every new license (or version) states. */
interface LicenseFields {
  holderRef: string;
  holderCodeType: string;
  number?: string;
  numberDigest?: string;
  docDigest: string;
  validFrom: string;
  validUntil: string | null;
  areaCode?: string;
}

const fieldSchemas = {
  holderRef: S.holderRef,
  holderCodeType: S.holderCodeType,
  number: S.text(64),
  numberDigest: S.digest,
  docDigest: S.digest,
  validFrom: S.date,
  validUntil: { type: ['string', 'null'], pattern: PATTERNS.date },
  areaCode: S.areaCode,
};

interface IssueInput extends LicenseFields {
  identifier: string;
  typeCode: string;
  sealId: string;
}
const parseIssue = inputParser<IssueInput>(
  object(
    { identifier: S.identifier, typeCode: S.typeCode, sealId: S.id, ...fieldSchemas },
    ['number', 'numberDigest', 'areaCode'],
  ),
);

interface BatchItem extends LicenseFields {
  identifier: string;
  typeCode: string;
  proof: MerkleProof;
}
interface BatchInput {
  batchId: string;
  root: string;
  size: number;
  sealId: string;
  licenses: BatchItem[];
}
const proofSchema = object({
  index: { type: 'integer', minimum: 0 },
  size: { type: 'integer', minimum: 1 },
  path: {
    type: 'array',
    maxItems: 64,
    items: object({ side: { enum: ['L', 'R'] }, hash: S.sm3Digest }),
  },
});
const parseBatch = inputParser<BatchInput>(
  object({
    batchId: S.id,
    root: S.sm3Digest,
    size: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    sealId: S.id,
    licenses: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH_LICENSES,
      items: object(
        { identifier: S.identifier, typeCode: S.typeCode, ...fieldSchemas, docDigest: S.sm3Digest, proof: proofSchema },
        ['number', 'numberDigest', 'areaCode'],
      ),
    },
  }),
);

interface StatusInput {
  identifier: string;
  action: StatusAction;
  reason: string;
}
const parseStatus = inputParser<StatusInput>(
  object({ identifier: S.identifier, action: { enum: Object.keys(STATUS_ACTIONS) }, reason: S.text(1000) }),
);

type VersionOperation = 'renew' | 'change' | 'correct';
interface VersionInput extends Partial<LicenseFields> {
  previous: string;
  identifier: string;
  operation: VersionOperation;
  reason: string;
  sealId: string;
  docDigest: string;
  validFrom: string;
  validUntil: string | null;
  disputeId?: string;
}
const parseVersion = inputParser<VersionInput>(
  object(
    {
      previous: S.identifier,
      identifier: S.identifier,
      operation: { enum: ['renew', 'change', 'correct'] },
      reason: S.text(1000),
      sealId: S.id,
      ...fieldSchemas,
      disputeId: S.id,
    },
    ['holderRef', 'holderCodeType', 'number', 'numberDigest', 'areaCode', 'disputeId'],
  ),
);

/** Roles that read batch headers; an issuer only its own organisation's. */
const BATCH_READERS = ['admin', 'auditor', 'issuer', 'verifier'] as const;

function mayReadBatches(caller: Caller, issuerMsp: string): boolean {
  return (BATCH_READERS as readonly string[]).includes(caller.role) && (caller.role !== 'issuer' || caller.mspId === issuerMsp);
}

function licenseState(message: string): CodedError {
  return new CodedError('LICENSE_STATE', message);
}

/** Prefixes a refusal with where it happened, keeping its code. */
function at(where: string, error: unknown): unknown {
  return error instanceof CodedError ? new CodedError(error.code, `${where}: ${error.detail}`) : error;
}

function checkValidity(validFrom: string, validUntil: string | null): void {
  checkDate(validFrom, 'validFrom');
  if (validUntil !== null) {
    checkDate(validUntil, 'validUntil');
    if (validUntil < validFrom) throw new CodedError('VALIDATION_FAILED', 'validUntil is before validFrom');
  }
}

function checkNumber(fields: Partial<LicenseFields>): void {
  if (fields.number !== undefined && fields.numberDigest !== undefined) {
    throw new CodedError('VALIDATION_FAILED', 'give the license number or its digest, not both');
  }
}

/** The issuer's USCC, which every identifier it issues carries. */
function issuerCode(caller: Caller): string {
  if (!caller.org.code) throw forbidden(`organisation ${caller.mspId} has no USCC recorded`);
  return caller.org.code;
}

/** Per-transaction cache of license types (read once, however many licenses use them). */
class TypeCache {
  readonly #types = new Map<string, LicenseTypeRecord | undefined>();

  async authorised(ctx: Context, caller: Caller, typeCode: string, holderCodeType: string): Promise<LicenseTypeRecord> {
    if (!this.#types.has(typeCode)) {
      this.#types.set(typeCode, await getRecord<LicenseTypeRecord>(ctx, OBJECT.type, [typeCode]));
    }
    const type = this.#types.get(typeCode);
    if (!type) throw new CodedError('NOT_FOUND', `license type ${typeCode} is not registered`);
    if (!type.active) throw new CodedError('TYPE_NOT_AUTHORIZED', `license type ${typeCode} is retired`);
    if (!type.issuers.includes(caller.mspId)) {
      throw new CodedError('TYPE_NOT_AUTHORIZED', `organisation ${caller.mspId} is not authorised to issue type ${typeCode}`);
    }
    if (!type.holderCodeTypes.includes(holderCodeType)) {
      throw new CodedError('INVALID_HOLDER_CODE', `holder code type ${holderCodeType} is not allowed for type ${typeCode}`);
    }
    return type;
  }
}

/** Checks an identifier for a new license of `typeCode` issued by `caller` at `version`. */
function checkIdentifier(identifier: string, typeCode: string, code: string, version: number): void {
  const parts = parseLicenseIdentifier(identifier);
  if (parts.typeCode !== typeCode) {
    throw new CodedError('INVALID_IDENTIFIER', `identifier type segment ${parts.typeCode} is not typeCode ${typeCode}`);
  }
  if (parts.issuerCode !== code) {
    throw new CodedError('INVALID_IDENTIFIER', `identifier issuer segment ${parts.issuerCode} is not the issuing organisation's code ${code}`);
  }
  if (parts.version !== version) {
    throw new CodedError('INVALID_IDENTIFIER', `identifier version must be ${String(version).padStart(3, '0')}`);
  }
}

function newRecord(
  ctx: Context,
  caller: Caller,
  identifier: string,
  typeCode: string,
  fields: LicenseFields,
  extra: Pick<LicenseRecord, 'version' | 'previousIdentifier' | 'origin' | 'sealId' | 'batchId' | 'batchRoot' | 'batchIndex' | 'disputeId'>,
  reason: string | null,
): LicenseRecord {
  const now = txTime(ctx);
  return {
    docType: 'license',
    identifier,
    typeCode,
    issuerMsp: caller.mspId,
    issuerCode: issuerCode(caller),
    holderRef: fields.holderRef,
    holderCodeType: fields.holderCodeType,
    number: fields.number ?? null,
    numberDigest: fields.numberDigest ?? null,
    nextIdentifier: null,
    superseded: false,
    docDigest: fields.docDigest,
    validFrom: fields.validFrom,
    validUntil: fields.validUntil,
    areaCode: fields.areaCode ?? null,
    status: '01',
    issuedAt: now.iso,
    lastChange: change(ctx, caller, extra.origin, reason),
    ...extra,
  };
}

async function writeNew(ctx: Context, record: LicenseRecord): Promise<void> {
  await putRecord(ctx, OBJECT.license, [record.identifier], record);
  await putIndex(ctx, OBJECT.licenseByHolder, [record.holderRef as string, record.identifier]);
  await putIndex(ctx, OBJECT.licenseByIssuer, [record.issuerMsp, record.typeCode, record.identifier]);
}

@Info({
  title: 'license',
  description: 'E-licenses (GB/T 36904 identifiers): issuance, batches, lifecycle, versions, reads',
  version: '1.0.0',
})
export class LicenseContract extends LicenseChainContract {
  constructor() {
    super('license');
  }

  @Transaction()
  @Returns('string')
  @Param(
    'input',
    'string',
    'JSON {identifier, typeCode, holderRef, holderCodeType, number?|numberDigest?, docDigest, sealId, validFrom, validUntil (date or null), areaCode?}',
  )
  async Issue(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer'], 'issue licenses');
    const data = parseIssue(input);
    checkNumber(data);
    checkValidity(data.validFrom, data.validUntil);
    checkIdentifier(data.identifier, data.typeCode, issuerCode(caller), 1);
    await new TypeCache().authorised(ctx, caller, data.typeCode, data.holderCodeType);
    await assertSealUsable(ctx, data.sealId, caller.mspId, caller.id, txTime(ctx).ms);
    if (await getRecord<LicenseRecord>(ctx, OBJECT.license, [data.identifier])) {
      throw new CodedError('CONFLICT', `license ${data.identifier} already exists`);
    }
    const record = newRecord(ctx, caller, data.identifier, data.typeCode, data, {
      version: 1,
      previousIdentifier: null,
      origin: 'issue',
      sealId: data.sealId,
      batchId: null,
      batchRoot: null,
      batchIndex: null,
      disputeId: null,
    }, null);
    await writeNew(ctx, record);
    emit(ctx, 'LicenseIssued', { identifier: record.identifier, typeCode: record.typeCode, issuerMsp: record.issuerMsp });
    return answer(record);
  }

  @Transaction()
  @Returns('string')
  @Param(
    'input',
    'string',
    'JSON {batchId, root (sm3 Merkle root of the batch\'s docDigests), size (leaves in the batch), sealId, licenses: [{identifier, typeCode, holderRef, holderCodeType, number?|numberDigest?, docDigest (sm3), validFrom, validUntil, areaCode?, proof {index, size, path}}] (≤ 1000)}',
  )
  async IssueBatch(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer'], 'issue licenses');
    const data = parseBatch(input);
    const code = issuerCode(caller);
    const now = txTime(ctx);
    await assertSealUsable(ctx, data.sealId, caller.mspId, caller.id, now.ms);

    const header = await getRecord<BatchRecord>(ctx, OBJECT.batch, [caller.mspId, data.batchId]);
    if (header && (header.root !== data.root || header.size !== data.size || header.sealId !== data.sealId)) {
      throw new CodedError('CONFLICT', `batch ${data.batchId} was started with another root, size or seal`);
    }

    const types = new TypeCache();
    // One checker for the transaction: neighbouring licenses' proofs share their upper steps.
    const merkle = new MerkleProofChecker(data.root, data.size);
    const seenIds = new Set<string>();
    const seenIndexes = new Set<number>();
    const fresh: LicenseRecord[] = [];
    const skipped: string[] = [];
    for (const [i, item] of data.licenses.entries()) {
      try {
        checkNumber(item);
        checkValidity(item.validFrom, item.validUntil);
        checkIdentifier(item.identifier, item.typeCode, code, 1);
        if (seenIds.has(item.identifier)) throw new CodedError('VALIDATION_FAILED', 'identifier appears twice in the batch');
        if (seenIndexes.has(item.proof.index)) throw new CodedError('VALIDATION_FAILED', 'leaf index appears twice in the batch');
        seenIds.add(item.identifier);
        seenIndexes.add(item.proof.index);
        if (item.proof.size !== data.size || !merkle.verify(item.docDigest, item.proof)) {
          throw new CodedError('VALIDATION_FAILED', 'the Merkle proof does not lead from docDigest to the batch root');
        }
        await types.authorised(ctx, caller, item.typeCode, item.holderCodeType);
        const existing = await getRecord<LicenseRecord>(ctx, OBJECT.license, [item.identifier]);
        if (existing) {
          // A resumed batch: the same license from the same batch is already recorded.
          if (existing.issuerMsp === caller.mspId && existing.batchId === data.batchId && existing.docDigest === item.docDigest) {
            skipped.push(item.identifier);
            continue;
          }
          throw new CodedError('CONFLICT', `license ${item.identifier} already exists`);
        }
        fresh.push(
          newRecord(ctx, caller, item.identifier, item.typeCode, item, {
            version: 1,
            previousIdentifier: null,
            origin: 'issue',
            sealId: data.sealId,
            batchId: data.batchId,
            batchRoot: data.root,
            batchIndex: item.proof.index,
            disputeId: null,
          }, null),
        );
      } catch (error) {
        throw at(`licenses[${i}]`, error);
      }
    }

    if (!header) {
      const batch: BatchRecord = {
        docType: 'batch',
        batchId: data.batchId,
        issuerMsp: caller.mspId,
        root: data.root,
        size: data.size,
        sealId: data.sealId,
        createdAt: now.iso,
        txId: ctx.stub.getTxID(),
      };
      await putRecord(ctx, OBJECT.batch, [caller.mspId, data.batchId], batch);
    }
    for (const record of fresh) await writeNew(ctx, record);
    const chunk: BatchChunkRecord = {
      docType: 'batchChunk',
      batchId: data.batchId,
      txId: ctx.stub.getTxID(),
      at: now.iso,
      issued: fresh.length,
      skipped: skipped.length,
      indexes: fresh.map((r) => r.batchIndex as number).sort((a, b) => a - b),
    };
    await putRecord(ctx, OBJECT.batchChunk, [caller.mspId, data.batchId, chunk.txId], chunk);
    emit(ctx, 'LicenseBatchIssued', {
      batchId: data.batchId,
      issuerMsp: caller.mspId,
      root: data.root,
      issued: fresh.length,
      skipped: skipped.length,
    });
    return answer({
      batchId: data.batchId,
      root: data.root,
      size: data.size,
      issued: fresh.map((r) => r.identifier),
      skipped,
    });
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {identifier, action: suspend|resume|revoke|revoke-penalty|cancel|expire|transfer-out, reason}')
  async ChangeStatus(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer'], 'change license status');
    const data = parseStatus(input);
    const old = await this.#own(ctx, caller, data.identifier);
    if (old.superseded) throw licenseState(`license ${old.identifier} is superseded by ${old.nextIdentifier ?? '?'}`);
    if (!canTransition(old.status, data.action)) {
      throw licenseState(`cannot ${data.action} license ${old.identifier} in state ${old.status}`);
    }
    const status = STATUS_ACTIONS[data.action];
    const record: LicenseRecord = { ...old, status, lastChange: change(ctx, caller, data.action, data.reason) };
    await putRecord(ctx, OBJECT.license, [record.identifier], record);
    emit(ctx, 'LicenseStatusChanged', { identifier: record.identifier, action: data.action, status });
    return answer(record);
  }

  @Transaction()
  @Returns('string')
  @Param(
    'input',
    'string',
    'JSON {previous, identifier (previous with version + 1), operation: renew|change|correct, reason, sealId, docDigest, validFrom, validUntil, holderRef?, holderCodeType?, number?|numberDigest?, areaCode?, disputeId?}',
  )
  async NewVersion(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer'], 'issue new license versions');
    const data = parseVersion(input);
    checkNumber(data);
    checkValidity(data.validFrom, data.validUntil);
    const old = await this.#own(ctx, caller, data.previous);
    if (old.superseded) throw licenseState(`license ${old.identifier} is already superseded by ${old.nextIdentifier ?? '?'}`);
    if (old.status !== '01') throw licenseState(`cannot ${data.operation} license ${old.identifier} in state ${old.status}`);
    const expected = nextVersionIdentifier(old.identifier);
    if (data.identifier !== expected) {
      throw new CodedError('INVALID_IDENTIFIER', `the next version of ${old.identifier} is ${expected}`);
    }
    // Holder, number and area carry over from the previous version unless the new one states them.
    const numberGiven = data.number !== undefined || data.numberDigest !== undefined;
    const number = numberGiven ? data.number : (old.number ?? undefined);
    const numberDigest = numberGiven ? data.numberDigest : (old.numberDigest ?? undefined);
    const areaCode = data.areaCode ?? old.areaCode ?? undefined;
    const fields: LicenseFields = {
      holderRef: data.holderRef ?? (old.holderRef as string),
      holderCodeType: data.holderCodeType ?? old.holderCodeType,
      docDigest: data.docDigest,
      validFrom: data.validFrom,
      validUntil: data.validUntil,
      ...(number !== undefined ? { number } : {}),
      ...(numberDigest !== undefined ? { numberDigest } : {}),
      ...(areaCode !== undefined ? { areaCode } : {}),
    };
    await new TypeCache().authorised(ctx, caller, old.typeCode, fields.holderCodeType);
    await assertSealUsable(ctx, data.sealId, caller.mspId, caller.id, txTime(ctx).ms);
    if (data.disputeId !== undefined) {
      const dispute = await getRecord<DisputeRecord>(ctx, OBJECT.dispute, [data.disputeId]);
      if (!dispute) throw new CodedError('NOT_FOUND', `dispute ${data.disputeId} does not exist`);
      if (dispute.subjectKind !== 'license' || dispute.subjectId !== old.identifier) {
        throw new CodedError('VALIDATION_FAILED', `dispute ${data.disputeId} is not about license ${old.identifier}`);
      }
      if (dispute.status !== 'ACCEPTED') throw new CodedError('DISPUTE_STATE', `dispute ${data.disputeId} is ${dispute.status}`);
    }
    if (await getRecord<LicenseRecord>(ctx, OBJECT.license, [data.identifier])) {
      throw new CodedError('CONFLICT', `license ${data.identifier} already exists`);
    }
    const record = newRecord(ctx, caller, data.identifier, old.typeCode, fields, {
      version: old.version + 1,
      previousIdentifier: old.identifier,
      origin: data.operation,
      sealId: data.sealId,
      batchId: null,
      batchRoot: null,
      batchIndex: null,
      disputeId: data.disputeId ?? null,
    }, data.reason);
    const superseded: LicenseRecord = {
      ...old,
      nextIdentifier: record.identifier,
      superseded: true,
      lastChange: change(ctx, caller, `superseded-by-${data.operation}`, data.reason),
    };
    await putRecord(ctx, OBJECT.license, [old.identifier], superseded);
    await writeNew(ctx, record);
    emit(ctx, 'LicenseVersioned', { previous: old.identifier, identifier: record.identifier, operation: data.operation });
    return answer(record);
  }

  @Transaction(false)
  @Returns('string')
  @Param('identifier', 'string', 'GB/T 36904 license identifier')
  async GetLicense(ctx: Context, identifier: string): Promise<string> {
    const caller = await anyRole(ctx, 'read licenses');
    const record = await this.#get(ctx, identifier);
    return answer(await this.#view(ctx, caller, record));
  }

  @Transaction(false)
  @Returns('string')
  @Param('identifier', 'string', 'GB/T 36904 license identifier')
  @Param('at', 'string', 'the instant the seal state is judged at, RFC 3339 UTC (e.g. the signing time); empty: when the license was recorded')
  async GetVerificationFacts(ctx: Context, identifier: string, at: string): Promise<string> {
    // One read for a verification, authorised like the reads it replaces: GetLicense,
    // GetOrganisation, GetLicenseType, GetSeal and CheckSeal (any role), GetBatchHeader (below).
    const caller = await anyRole(ctx, 'read licenses');
    const when = at === '' ? undefined : parseTime(at, 'at');
    const record = await this.#get(ctx, identifier);
    const license = await this.#view(ctx, caller, record);
    const licenseType = (await getRecord<LicenseTypeRecord>(ctx, OBJECT.type, [record.typeCode])) ?? null;
    const issuer = (await getRecord<OrganisationRecord>(ctx, OBJECT.org, [record.issuerMsp])) ?? null;
    const seal = (await getRecord<SealRecord>(ctx, OBJECT.seal, [record.sealId])) ?? null;
    const sealState = judgeSeal(record.sealId, seal ?? undefined, undefined, null, when ?? Date.parse(record.issuedAt));
    let batch: VerificationFacts['batch'] = null;
    if (record.batchId !== null) {
      batch = mayReadBatches(caller, record.issuerMsp)
        ? ((await getRecord<BatchRecord>(ctx, OBJECT.batch, [record.issuerMsp, record.batchId])) ?? 'missing')
        : 'forbidden';
    }
    return answer({ license, licenseType, issuer, seal, sealState, batch } satisfies VerificationFacts);
  }

  @Transaction(false)
  @Returns('string')
  @Param('identifier', 'string', 'GB/T 36904 license identifier')
  async GetLicenseHistory(ctx: Context, identifier: string): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'auditor', 'portal', 'issuer'], 'read license history');
    const record = await this.#get(ctx, identifier);
    if (caller.role === 'issuer' && record.issuerMsp !== caller.mspId) {
      throw forbidden(`license ${identifier} was issued by another organisation`);
    }
    const entries = await history<LicenseRecord>(ctx, OBJECT.license, [identifier]);
    return answer(
      entries.map((e) => ({
        txId: e.txId,
        at: e.value?.lastChange.at ?? e.at,
        isDelete: e.isDelete,
        actorMsp: e.value?.lastChange.actorMsp ?? null,
        actorId: e.value?.lastChange.actorId ?? null,
        operation: e.value?.lastChange.operation ?? null,
        reason: e.value?.lastChange.reason ?? null,
        status: e.value?.status ?? null,
        superseded: e.value?.superseded ?? null,
        nextIdentifier: e.value?.nextIdentifier ?? null,
      })),
    );
  }

  @Transaction(false)
  @Returns('string')
  @Param('holderRef', 'string', 'holder reference hr:<hex>')
  async ListLicensesByHolder(ctx: Context, holderRef: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin', 'issuer'], 'list a holder\'s licenses');
    checkArg(holderRef, PATTERNS.holderRef, 'holderRef');
    const loaded = new Map<string, LicenseRecord>();
    const load = async (id: string): Promise<LicenseRecord | undefined> => {
      if (!loaded.has(id)) {
        const r = await getRecord<LicenseRecord>(ctx, OBJECT.license, [id]);
        if (r) loaded.set(id, r);
      }
      return loaded.get(id);
    };
    const found = await scanIds(ctx, OBJECT.licenseByHolder, [holderRef]);
    const chains = new Map<string, LicenseRecord[]>();
    for (const id of found) {
      const start = await load(id);
      if (!start || (caller.role === 'issuer' && start.issuerMsp !== caller.mspId)) continue;
      // Walk to the first version, then collect forward: one chain per first version (关联检索).
      let first = start;
      while (first.previousIdentifier) {
        const prev = await load(first.previousIdentifier);
        if (!prev) break;
        first = prev;
      }
      if (chains.has(first.identifier)) continue;
      const chain: LicenseRecord[] = [first];
      let cur = first;
      while (cur.nextIdentifier) {
        const next = await load(cur.nextIdentifier);
        if (!next) break;
        chain.push(next);
        cur = next;
      }
      chains.set(first.identifier, chain);
    }
    const result: { first: string; current: string; versions: LicenseView[] }[] = [];
    for (const [first, chain] of chains) {
      const versions: LicenseView[] = [];
      for (const r of chain) versions.push(await this.#view(ctx, caller, r));
      result.push({ first, current: (chain[chain.length - 1] as LicenseRecord).identifier, versions });
    }
    result.sort((a, b) => Buffer.compare(Buffer.from(a.first), Buffer.from(b.first)));
    return answer({ holderRef, chains: result });
  }

  @Transaction(false)
  @Returns('string')
  @Param('issuerMsp', 'string', 'MSP id of the issuing organisation')
  @Param('typeCode', 'string', 'license type code, or empty for every type')
  async ListLicensesByIssuer(ctx: Context, issuerMsp: string, typeCode: string): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'auditor', 'issuer'], 'list licenses by issuer');
    checkArg(issuerMsp, PATTERNS.mspId, 'issuerMsp');
    if (typeCode !== '') checkArg(typeCode, PATTERNS.typeCode, 'typeCode');
    if (caller.role === 'issuer' && caller.mspId !== issuerMsp) throw forbidden('an issuer lists only its own licenses');
    const entries = await scan(ctx, OBJECT.licenseByIssuer, typeCode === '' ? [issuerMsp] : [issuerMsp, typeCode]);
    const views: LicenseView[] = [];
    for (const e of entries) {
      const r = await getRecord<LicenseRecord>(ctx, OBJECT.license, [e.attributes[2] as string]);
      if (r) views.push(await this.#view(ctx, caller, r));
    }
    return answer(views);
  }

  @Transaction(false)
  @Returns('string')
  @Param('issuerMsp', 'string', 'MSP id of the issuing organisation')
  @Param('batchId', 'string', 'batch id')
  async GetBatch(ctx: Context, issuerMsp: string, batchId: string): Promise<string> {
    const header = await this.#batchHeader(ctx, issuerMsp, batchId);
    const chunks = (await scan(ctx, OBJECT.batchChunk, [issuerMsp, batchId])).map(
      (e) => JSON.parse(e.value.toString('utf8')) as BatchChunkRecord,
    );
    const recorded = chunks.reduce((n, c) => n + c.issued, 0);
    return answer({ ...header, recorded, complete: recorded === header.size, chunks });
  }

  @Transaction(false)
  @Returns('string')
  @Param('issuerMsp', 'string', 'MSP id of the issuing organisation')
  @Param('batchId', 'string', 'batch id')
  async GetBatchHeader(ctx: Context, issuerMsp: string, batchId: string): Promise<string> {
    // The header alone (root, size, seal): what a verifier compares a manifest with, without the
    // chunks' index lists GetBatch adds up.
    return answer(await this.#batchHeader(ctx, issuerMsp, batchId));
  }

  /** A batch header, authorised as GetBatch: verifiers read headers (no personal data) to check manifests. */
  async #batchHeader(ctx: Context, issuerMsp: string, batchId: string): Promise<BatchRecord> {
    const caller = await authorize(ctx, BATCH_READERS, 'read batches');
    checkArg(issuerMsp, PATTERNS.mspId, 'issuerMsp');
    checkArg(batchId, PATTERNS.id, 'batchId');
    if (!mayReadBatches(caller, issuerMsp)) throw forbidden('an issuer reads only its own batches');
    const header = await getRecord<BatchRecord>(ctx, OBJECT.batch, [issuerMsp, batchId]);
    if (!header) throw new CodedError('NOT_FOUND', `batch ${batchId} of ${issuerMsp} does not exist`);
    return header;
  }

  async #get(ctx: Context, identifier: string): Promise<LicenseRecord> {
    parseLicenseIdentifier(identifier);
    const record = await getRecord<LicenseRecord>(ctx, OBJECT.license, [identifier]);
    if (!record) throw new CodedError('NOT_FOUND', `license ${identifier} does not exist`);
    return record;
  }

  /** A license the caller's organisation issued. */
  async #own(ctx: Context, caller: Caller, identifier: string): Promise<LicenseRecord> {
    const record = await this.#get(ctx, identifier);
    if (record.issuerMsp !== caller.mspId) throw forbidden(`license ${identifier} was issued by ${record.issuerMsp}`);
    return record;
  }

  async #view(ctx: Context, caller: Caller, record: LicenseRecord): Promise<LicenseView> {
    const flags = await openFlags(ctx, 'license', record.identifier);
    const personal = maySeePersonal(caller, [record.issuerMsp]);
    return { ...record, holderRef: personal ? record.holderRef : null, flags };
  }
}
