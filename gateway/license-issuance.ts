/**
 * Issuing licenses (README flow 1) and their new versions (flow 3): validate, identify, build the
 * GB/T 36903 document, digest it (SM3 over RFC 8785 JSON), seal it, anchor it on the ledger, store
 * it. Used by the license routes and by dispute resolution (a corrected license is a new version).
 *
 * Identifier rule (GB/T 36904): `serial` is the request's, or else derived deterministically from
 * issuer USCC + type code + 证照编号 ({@link derivedSerial}). A retried request therefore maps to the
 * same identifier; the chaincode refuses the second `license:Issue` with `CONFLICT`, and the gateway
 * answers with the license already on the ledger (HTTP 200, `existing: true`) when its digest is
 * the one this request produces — the same license — or `CONFLICT` naming it otherwise (the same
 * number issued with other data: a new version is the way to change it). New versions are
 * deterministic too (previous identifier, version + 1), and are recognised the same way.
 *
 * The holder's name and code go into the document only; the ledger gets the holder reference
 * (HMAC-SM3) and the digest of the 证照编号.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CodedError } from '../domain/coded-error';
import { digestOf, parseDigest } from '../domain/digest';
import { checkHolderCode } from '../domain/holder-code';
import { holderRef } from '../domain/holder-ref';
import {
  LICENSE_DOCUMENT_FORMAT,
  licenseDocumentDigest,
  qrPayload,
  type LicenseDocument,
  type SealedLicense,
} from '../domain/license-document';
import { makeLicenseIdentifier, nextVersionIdentifier, parseLicenseIdentifier } from '../domain/license-identifier';
import { EndorseError } from '../ledger/errors';
import { signPkcs7, signWithSeal } from '../seal';
import { evaluate, submit, withLedgerDeadline } from '../service/ledger-calls';
import { ProblemError, type FieldError } from '../service/problem';
import type { Principal } from '../service/principal';
import type { KeyringSeal } from './seal-keyring';

const DATE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]+$';

const HOLDER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'codeType', 'code'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_CONTROL },
    codeType: { type: 'string', pattern: '^[0-9]{3}$' },
    code: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const VALID_UNTIL_SCHEMA = { anyOf: [{ type: 'string', pattern: DATE }, { type: 'null' }], description: 'YYYY-MM-DD, or null for 长期 (no end)' } as const;

/** JSON Schema of one license to issue (`POST /v1/licenses`, and each item of a batch). */
export const LICENSE_INPUT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['typeCode', 'number', 'holder', 'issuedOn', 'validFrom', 'validUntil', 'areaCode', 'fields'],
  properties: {
    typeCode: { type: 'string', pattern: '^[0-9A-HJ-NP-RTUWXY]{18}[0-9]{3}$', description: '证照类型代码 (21 characters)' },
    number: { type: 'string', minLength: 1, maxLength: 64, pattern: NO_CONTROL, description: '证照编号, as printed' },
    holder: HOLDER_SCHEMA,
    issuedOn: { type: 'string', pattern: DATE },
    validFrom: { type: 'string', pattern: DATE },
    validUntil: VALID_UNTIL_SCHEMA,
    areaCode: { type: 'string', pattern: '^[0-9]{6}([0-9]{3}|[0-9]{6})?$', description: 'GB/T 2260 area code' },
    fields: { type: 'object', description: "照面信息, valid against the type's fields schema" },
    serial: { type: 'string', pattern: '^[0-9A-Z]{1,40}$', description: '流水号; default derived from issuer, type and number' },
  },
} as const;

/** JSON Schema of `changes` for a new version: what may differ from the previous version. */
export const LICENSE_CHANGES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    number: LICENSE_INPUT_SCHEMA.properties.number,
    holder: HOLDER_SCHEMA,
    issuedOn: { type: 'string', pattern: DATE },
    validFrom: { type: 'string', pattern: DATE },
    validUntil: VALID_UNTIL_SCHEMA,
    areaCode: LICENSE_INPUT_SCHEMA.properties.areaCode,
    fields: { type: 'object', description: 'merged into the previous fields; a null value removes a field' },
  },
} as const;

export interface HolderInput {
  readonly name: string;
  readonly codeType: string;
  readonly code: string;
}

/** One license to issue, as `POST /v1/licenses` takes it. */
export interface LicenseInput {
  readonly typeCode: string;
  readonly number: string;
  readonly holder: HolderInput;
  readonly issuedOn: string;
  readonly validFrom: string;
  readonly validUntil: string | null;
  readonly areaCode: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly serial?: string;
}

export interface LicenseChanges {
  readonly number?: string;
  readonly holder?: HolderInput;
  readonly issuedOn?: string;
  readonly validFrom?: string;
  readonly validUntil?: string | null;
  readonly areaCode?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface NewVersionRequest {
  readonly operation: 'renew' | 'change' | 'correct';
  readonly changes: LicenseChanges;
  readonly reason: string;
  readonly disputeId?: string;
}

/** The answer of an issuance (api.md `201 { identifier, version, digest, txId, blockNumber, document }`). */
export interface IssuedLicense {
  readonly identifier: string;
  readonly version: number;
  readonly digest: string;
  readonly txId: string;
  readonly blockNumber: number;
  /** The sealed license as a holder presents it. */
  readonly document: SealedLicense;
  /** QR payload (verifier URL with identifier and digest). */
  readonly qr: string;
  /** True when the license was already on the ledger (a retried request). */
  readonly existing: boolean;
}

/** Organisation and license type as the ledger has them. */
export interface IssuingContext {
  readonly org: { readonly mspId: string; readonly name: string; readonly code: string | null };
  readonly type: {
    readonly typeCode: string;
    readonly name: string;
    readonly fieldsSchemaDigest: string;
    readonly holderCodeTypes: readonly string[];
    readonly issuers: readonly string[];
    readonly active: boolean;
  };
}

/** A document ready to seal, with what the ledger records about it. */
export interface PreparedLicense {
  readonly document: LicenseDocument;
  readonly digest: string;
  /** Ledger fields shared by Issue, IssueBatch and NewVersion. */
  readonly ledger: {
    readonly holderRef: string;
    readonly holderCodeType: string;
    readonly numberDigest: string;
    readonly docDigest: string;
    readonly validFrom: string;
    readonly validUntil: string | null;
    readonly areaCode: string;
  };
}

/**
 * The serial (流水号) of a license issued without one: the first 103 bits of
 * SM3("licensechain/serial@1\n" + issuer USCC + "\n" + type code + "\n" + 证照编号), as 20 base-36
 * characters. Deterministic, so a retried request yields the same identifier.
 */
export function derivedSerial(issuerCode: string, typeCode: string, number: string): string {
  const hash = createHash('sm3').update(`licensechain/serial@1\n${issuerCode}\n${typeCode}\n${number}`, 'utf8').digest('hex');
  const value = BigInt(`0x${hash.slice(0, 26)}`) % 36n ** 20n;
  return value.toString(36).toUpperCase().padStart(20, '0');
}

/** Reads a ledger record, or undefined when the chaincode answers NOT_FOUND. */
export async function readLedger<T>(principal: Principal, transaction: string, ...args: string[]): Promise<T | undefined> {
  try {
    return await evaluate<T>(principal, transaction, ...args);
  } catch (error) {
    if (error instanceof EndorseError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

/** Which cached answers an issuance attempt used: the oldest one's time (see IssuingCache). */
export interface UsedAnswers {
  oldest: number;
}

/**
 * The caller's organisation and the license type, from the ledger (the chaincode decides who may
 * read), as recently asked ({@link IssuingCache}).
 */
export async function issuingContext(app: FastifyInstance, principal: Principal, typeCode: string, used?: UsedAnswers): Promise<IssuingContext> {
  const cache = app.lc.issuing;
  const [org, type] = await Promise.all([
    cache.get(principal, 'org', () => evaluate<IssuingContext['org']>(principal, 'registry:GetOrganisation', principal.mspId), used),
    cache.get(principal, `type:${typeCode}`, () => evaluate<IssuingContext['type']>(principal, 'registry:GetLicenseType', typeCode), used),
  ]);
  return { org, type };
}

/** Refusals that a cached answer may have caused: the seal, the type, the organisation. */
function mayBeStale(error: unknown): boolean {
  if (error instanceof EndorseError) return !['CONFLICT', 'VALIDATION_FAILED', 'LICENSE_STATE', 'DISPUTE_STATE'].includes(error.code);
  return error instanceof CodedError && error.code === 'INVALID_HOLDER_CODE';
}

/**
 * Runs an issuance attempt. When it is refused for a reason a cached ledger answer may explain,
 * the principal's answers are dropped, and the attempt is made once more with fresh ones if it
 * used an answer older than itself.
 */
async function withFreshAnswers<T>(app: FastifyInstance, principal: Principal, attempt: (used: UsedAnswers) => Promise<T>): Promise<T> {
  const started = app.lc.issuing.now();
  const used: UsedAnswers = { oldest: Number.POSITIVE_INFINITY };
  try {
    return await attempt(used);
  } catch (error) {
    if (!mayBeStale(error)) throw error;
    app.lc.issuing.forget(principal);
    if (used.oldest >= started) throw error;
    return attempt({ oldest: Number.POSITIVE_INFINITY });
  }
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Dates that are real calendar dates, validUntil not before validFrom. */
function dateErrors(dates: { issuedOn: string; validFrom: string; validUntil: string | null }, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of ['issuedOn', 'validFrom', 'validUntil'] as const) {
    const value = dates[name];
    if (value !== null && !isCalendarDate(value)) errors.push({ field: `${prefix}/${name}`, message: 'is not a calendar date' });
  }
  if (errors.length === 0 && dates.validUntil !== null && dates.validUntil < dates.validFrom) {
    errors.push({ field: `${prefix}/validUntil`, message: 'is before validFrom' });
  }
  return errors;
}

function invalid(errors: FieldError[]): ProblemError {
  return new ProblemError('VALIDATION_FAILED', errors.map((e) => `${e.field} ${e.message}`).join('; '), { errors });
}

/** The holder code checked and normalised; `INVALID_HOLDER_CODE` when invalid or not allowed for the type. */
function checkHolder(holder: HolderInput, context: IssuingContext): { codeType: string; code: string } {
  const checked = checkHolderCode(holder.codeType, holder.code);
  if (!context.type.holderCodeTypes.includes(checked.codeType)) {
    throw new CodedError('INVALID_HOLDER_CODE', `holder code type ${checked.codeType} is not allowed for type ${context.type.typeCode}`);
  }
  return checked;
}

/**
 * Builds and digests a document from validated parts. Throws `VALIDATION_FAILED` (fields against
 * the type's schema, dates), `INVALID_HOLDER_CODE`, `INVALID_IDENTIFIER`.
 */
export function prepareDocument(
  app: FastifyInstance,
  context: IssuingContext,
  document: Omit<LicenseDocument, 'format' | 'name' | 'typeCode' | 'issuerName' | 'issuerCode' | 'holderName' | 'holderCodeType' | 'holderCode'>,
  holder: HolderInput,
  prefix = 'body',
): PreparedLicense {
  const errors = [
    ...dateErrors(document, prefix),
    ...app.lc.schemas.validate(context.type.fieldsSchemaDigest, document.fields, `${prefix}/fields`),
  ];
  if (errors.length > 0) throw invalid(errors);
  const checked = checkHolder(holder, context);
  if (context.org.code === null) throw new CodedError('FORBIDDEN', `organisation ${context.org.mspId} has no USCC recorded`);
  const full: LicenseDocument = {
    format: LICENSE_DOCUMENT_FORMAT,
    identifier: document.identifier,
    name: context.type.name,
    typeCode: context.type.typeCode,
    number: document.number,
    issuerName: context.org.name,
    issuerCode: context.org.code,
    issuedOn: document.issuedOn,
    holderName: holder.name,
    holderCodeType: checked.codeType,
    holderCode: checked.code,
    validFrom: document.validFrom,
    validUntil: document.validUntil,
    areaCode: document.areaCode,
    version: document.version,
    previousIdentifier: document.previousIdentifier,
    fields: document.fields,
  };
  const digest = licenseDocumentDigest(full);
  return {
    document: full,
    digest,
    ledger: {
      holderRef: holderRef(app.lc.options.holderKey, checked.codeType, checked.code),
      holderCodeType: checked.codeType,
      numberDigest: digestOf(Buffer.from(full.number, 'utf8'), 'sm3'),
      docDigest: digest,
      validFrom: full.validFrom,
      validUntil: full.validUntil,
      areaCode: full.areaCode,
    },
  };
}

/** The identifier a new license gets: the request's serial, or the derived one. */
export function identifierFor(context: IssuingContext, input: LicenseInput): string {
  if (context.org.code === null) throw new CodedError('FORBIDDEN', `organisation ${context.org.mspId} has no USCC recorded`);
  const serial = input.serial ?? derivedSerial(context.org.code, input.typeCode, input.number);
  return makeLicenseIdentifier({ typeCode: input.typeCode, issuerCode: context.org.code, serial, version: 1 });
}

/** A first-version document from an issuance request. */
export function prepareLicense(app: FastifyInstance, context: IssuingContext, input: LicenseInput, prefix = 'body'): PreparedLicense {
  return prepareDocument(
    app,
    context,
    {
      identifier: identifierFor(context, input),
      number: input.number,
      issuedOn: input.issuedOn,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      areaCode: input.areaCode,
      version: 1,
      previousIdentifier: null,
      fields: input.fields,
    },
    input.holder,
    prefix,
  );
}

/**
 * An ACTIVE seal of the caller's organisation that the caller is authorised to sign with now and
 * whose signer this gateway holds (asked of the ledger: `seal:CheckSeal`). When there is none, the
 * chaincode is asked (a simulated `license:IssueBatch`, never committed) why an issuance would be
 * refused — `FORBIDDEN` for a caller who may not issue, `SEAL_NOT_AUTHORIZED` otherwise — so the
 * refusal is the chaincode's. The answer is kept briefly ({@link IssuingCache}): the chaincode
 * checks the seal again at submit.
 */
export function resolveSeal(app: FastifyInstance, principal: Principal, used?: UsedAnswers): Promise<KeyringSeal> {
  return app.lc.issuing.get(principal, 'seal', () => findSeal(app, principal), used);
}

async function findSeal(app: FastifyInstance, principal: Principal): Promise<KeyringSeal> {
  const at = new Date().toISOString();
  const held = app.lc.keyring.seals(principal.mspId).filter((s) => s.signer !== undefined);
  for (const seal of held) {
    const check = await evaluate<{ active: boolean; authorized: boolean }>(principal, 'seal:CheckSeal', seal.sealId, principal.identityId, at);
    if (check.active && check.authorized) return seal;
  }
  const sealId = held[0]?.sealId ?? app.lc.keyring.seals(principal.mspId)[0]?.sealId ?? 'none';
  const zero = `sm3:${'0'.repeat(64)}`;
  await evaluate(principal, 'license:IssueBatch', {
    batchId: 'seal-probe',
    root: zero,
    size: 1,
    sealId,
    licenses: [
      {
        identifier: '1.2.156.3005.2.probe',
        typeCode: '000000000000000000000',
        holderRef: `hr:${'0'.repeat(64)}`,
        holderCodeType: '000',
        docDigest: zero,
        validFrom: '2000-01-01',
        validUntil: null,
        proof: { index: 0, size: 1, path: [] },
      },
    ],
  }).catch((error: unknown) => {
    if (error instanceof EndorseError && (error.code === 'FORBIDDEN' || error.code === 'SEAL_NOT_AUTHORIZED')) throw error;
  });
  throw new ProblemError('SEAL_NOT_AUTHORIZED', `this gateway holds no signer of an active seal of ${principal.mspId} that ${principal.name} is authorised to sign with`);
}

/**
 * A seal signature (base64) over a 32-byte SM3 digest: SES_Signature or detached PKCS#7. A signer
 * that fails (a device, a signing thread that stopped) is `UPSTREAM_UNAVAILABLE`, with the cause logged.
 */
async function signDigest(seal: KeyringSeal, digest: Uint8Array, propertyInfo: string): Promise<string> {
  if (!seal.signer) throw new ProblemError('SEAL_NOT_AUTHORIZED', `this gateway holds no signer for seal ${seal.sealId}`);
  try {
    const signature =
      seal.format === 'GBT38540'
        ? await signWithSeal({ seal: seal.sealBytes, signer: seal.signer, digest, propertyInfo })
        : await signPkcs7({ signer: seal.signer, digest });
    return Buffer.from(signature).toString('base64');
  } catch (error) {
    if (error instanceof CodedError && error.code === 'SEAL_SIGNER_FAILED') {
      throw new ProblemError('UPSTREAM_UNAVAILABLE', `the signer of seal ${seal.sealId} failed; try again`, { cause: error });
    }
    throw error;
  }
}

/** Signs `content` (e.g. a batch manifest's canonical bytes) with a seal: the signature covers SM3(content). */
export function sealBytes(seal: KeyringSeal, content: Uint8Array, propertyInfo: string): Promise<string> {
  return signDigest(seal, createHash('sm3').update(content).digest(), propertyInfo);
}

/** Seals a single document: the signature covers SM3 of its canonical JSON, i.e. `docDigest`. */
export async function sealDocument(principal: Principal, seal: KeyringSeal, prepared: PreparedLicense): Promise<SealedLicense> {
  const signature = await signDigest(seal, Buffer.from(parseDigest(prepared.digest).hex, 'hex'), prepared.document.identifier);
  return {
    document: prepared.document,
    digest: prepared.digest,
    seal: { format: seal.format, sealId: seal.sealId, signature, signerName: principal.name, sealName: seal.name },
  };
}

function answer(app: FastifyInstance, sealed: SealedLicense, txId: string, blockNumber: number, existing: boolean): IssuedLicense {
  const { identifier, version } = sealed.document;
  return { identifier, version, digest: sealed.digest, txId, blockNumber, document: sealed, qr: qrPayload(identifier, sealed.digest, app.lc.options.publicVerifierUrl), existing };
}

interface LicenseRecordView {
  identifier: string;
  issuerMsp: string;
  docDigest: string;
  superseded: boolean;
  nextIdentifier: string | null;
  lastChange: { txId: string };
}

/**
 * When the ledger already has `identifier` with this digest from the caller's organisation, the
 * answer for it (storing our sealed copy if this gateway lost its own); otherwise undefined.
 */
async function existingAnswer(app: FastifyInstance, principal: Principal, sealed: SealedLicense): Promise<IssuedLicense | undefined> {
  const identifier = sealed.document.identifier;
  const record = await readLedger<LicenseRecordView>(principal, 'license:GetLicense', identifier);
  if (!record || record.issuerMsp !== principal.mspId || record.docDigest !== sealed.digest) return undefined;
  const stored = await app.lc.licenses.get(identifier);
  if (stored && stored.sealed.digest === sealed.digest) return answer(app, stored.sealed, stored.txId, stored.blockNumber, true);
  // Committed, but this gateway did not store it (it stopped in between): keep this copy.
  // History is newest first: the oldest entry is the transaction that created the license.
  const history = await evaluate<Array<{ txId: string }>>(principal, 'license:GetLicenseHistory', identifier);
  const txId = history[history.length - 1]?.txId ?? record.lastChange.txId;
  const tx = (await withLedgerDeadline(app.lc.options.ledger.getTransaction(txId), `transaction ${txId}`)) as { blockNumber?: number } | undefined;
  const blockNumber = tx?.blockNumber ?? -1;
  await app.lc.licenses.put({ sealed, txId, blockNumber });
  return answer(app, sealed, txId, blockNumber, true);
}

/**
 * Issues one license as `principal` (an issuer): validates, identifies, seals, anchors
 * (`license:Issue`) and stores it.
 * @throws ProblemError / CodedError / EndorseError with the codes of api.md (the chaincode's own
 * for its refusals); `CONFLICT` when the identifier exists with another document.
 */
export async function issueLicense(app: FastifyInstance, principal: Principal, input: LicenseInput): Promise<IssuedLicense> {
  return withFreshAnswers(app, principal, (used) => issueOnce(app, principal, input, used));
}

async function issueOnce(app: FastifyInstance, principal: Principal, input: LicenseInput, used: UsedAnswers): Promise<IssuedLicense> {
  const seal = await resolveSeal(app, principal, used);
  const context = await issuingContext(app, principal, input.typeCode, used);
  const prepared = prepareLicense(app, context, input);
  const sealed = await sealDocument(principal, seal, prepared);
  try {
    const { txId, blockNumber } = await submit(app, principal, 'license:Issue', {
      identifier: prepared.document.identifier,
      typeCode: prepared.document.typeCode,
      sealId: seal.sealId,
      ...prepared.ledger,
    });
    await app.lc.licenses.put({ sealed, txId, blockNumber });
    return answer(app, sealed, txId, blockNumber, false);
  } catch (error) {
    if (error instanceof EndorseError && error.code === 'CONFLICT') {
      const existing = await existingAnswer(app, principal, sealed);
      if (existing) return existing;
      throw new ProblemError('CONFLICT', `license ${prepared.document.identifier} already exists with other content; issue a new version to change it`, { cause: error });
    }
    throw error;
  }
}

function mergeFields(previous: Readonly<Record<string, unknown>>, changes: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...previous };
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/**
 * Issues the next version of a license (renew, change, correct): the stored document with
 * `changes` merged in, version + 1, `previousIdentifier` set, resealed, `license:NewVersion` (the
 * previous version is marked superseded by the chaincode).
 * @throws `NOT_FOUND` when this gateway does not hold the previous document; the chaincode's
 * codes (`FORBIDDEN`, `LICENSE_STATE`, `DISPUTE_STATE`, …) for its refusals.
 */
export async function issueNewVersion(app: FastifyInstance, principal: Principal, identifier: string, request: NewVersionRequest): Promise<IssuedLicense> {
  parseLicenseIdentifier(identifier);
  return withFreshAnswers(app, principal, (used) => newVersionOnce(app, principal, identifier, request, used));
}

async function newVersionOnce(app: FastifyInstance, principal: Principal, identifier: string, request: NewVersionRequest, used: UsedAnswers): Promise<IssuedLicense> {
  const seal = await resolveSeal(app, principal, used);
  const stored = await app.lc.licenses.get(identifier);
  if (!stored) {
    // Let the ledger say whether the license exists and is the caller's before saying we lack it.
    await evaluate(principal, 'license:GetLicense', identifier);
    throw new ProblemError('NOT_FOUND', `the document of license ${identifier} is not held by this gateway`);
  }
  const previous = stored.sealed.document;
  const context = await issuingContext(app, principal, previous.typeCode, used);
  const { changes } = request;
  const holder = changes.holder ?? { name: previous.holderName, codeType: previous.holderCodeType, code: previous.holderCode };
  const prepared = prepareDocument(
    app,
    context,
    {
      identifier: nextVersionIdentifier(identifier),
      number: changes.number ?? previous.number,
      issuedOn: changes.issuedOn ?? previous.issuedOn,
      validFrom: changes.validFrom ?? previous.validFrom,
      validUntil: changes.validUntil !== undefined ? changes.validUntil : previous.validUntil,
      areaCode: changes.areaCode ?? previous.areaCode,
      version: previous.version + 1,
      previousIdentifier: identifier,
      fields: mergeFields(previous.fields, changes.fields),
    },
    holder,
    'body/changes',
  );
  const sealed = await sealDocument(principal, seal, prepared);
  try {
    const { txId, blockNumber } = await submit(app, principal, 'license:NewVersion', {
      previous: identifier,
      identifier: prepared.document.identifier,
      operation: request.operation,
      reason: request.reason,
      sealId: seal.sealId,
      ...prepared.ledger,
      ...(request.disputeId !== undefined ? { disputeId: request.disputeId } : {}),
    });
    await app.lc.licenses.put({ sealed, txId, blockNumber });
    return answer(app, sealed, txId, blockNumber, false);
  } catch (error) {
    // A retry: the previous version is already superseded by this very document.
    if (error instanceof EndorseError && (error.code === 'CONFLICT' || error.code === 'LICENSE_STATE')) {
      const old = await readLedger<LicenseRecordView>(principal, 'license:GetLicense', identifier);
      if (old?.nextIdentifier === prepared.document.identifier) {
        const existing = await existingAnswer(app, principal, sealed);
        if (existing) return existing;
      }
    }
    throw error;
  }
}
