/**
 * Electronic seals: apply (owner organisation) → approve (admin, 备案) → authorise identities to
 * sign (owner) → suspend / resume / cancel (owner or admin). The record keeps an append-only list
 * of state intervals, so `CheckSeal` can say whether a seal was active, and an identity authorised,
 * at any past instant — verification judges a signature by the seal's state at signing time.
 */
import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { type Caller, anyRole, authorize, change, forbidden } from './access';
import { LicenseChainContract } from './base-contract';
import { isoOf, parseTime, txTime } from './clock';
import { emit } from './events';
import type { AuthorizationWindow, SealAuthorizationRecord, SealRecord, SealStatus } from './records';
import { judgeSeal } from './seal-rules';
import { OBJECT, answer, getRecord, history, putIndex, putRecord, scanIds, scanRecords } from './state';
import { PATTERNS, S, checkArg, inputParser, object, sortedSet } from './validation';

const SUBJECT = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^x509::[^\\u0000]+$' };

interface ApplyInput {
  sealId: string;
  name: string;
  kind: string;
  format: 'GBT38540' | 'PKCS7';
  certFingerprints: string[];
  sealDigest: string;
  validStart: string;
  validEnd: string;
}
const parseApply = inputParser<ApplyInput>(
  object({
    sealId: S.id,
    name: S.text(200),
    kind: S.text(64),
    format: { enum: ['GBT38540', 'PKCS7'] },
    certFingerprints: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: S.digest },
    sealDigest: S.digest,
    validStart: S.time,
    validEnd: S.time,
  }),
);

interface AuthorizeInput {
  sealId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
}
const parseAuthorize = inputParser<AuthorizeInput>(
  object({ sealId: S.id, subject: SUBJECT, notBefore: S.time, notAfter: S.time }),
);

interface RevokeAuthorizationInput {
  sealId: string;
  subject: string;
  reason: string;
}
const parseRevokeAuthorization = inputParser<RevokeAuthorizationInput>(
  object({ sealId: S.id, subject: SUBJECT, reason: S.text(1000) }),
);

type SealAction = 'suspend' | 'resume' | 'cancel';
interface StatusInput {
  sealId: string;
  action: SealAction;
  reason: string;
}
const parseStatus = inputParser<StatusInput>(
  object({ sealId: S.id, action: { enum: ['suspend', 'resume', 'cancel'] }, reason: S.text(1000) }),
);

/** action → [states it may start from, state it leads to]. */
const SEAL_TRANSITIONS: Readonly<Record<SealAction, readonly [readonly SealStatus[], SealStatus]>> = {
  suspend: [['ACTIVE'], 'SUSPENDED'],
  resume: [['SUSPENDED'], 'ACTIVE'],
  cancel: [['APPLIED', 'ACTIVE', 'SUSPENDED'], 'CANCELLED'],
};

function sealState(message: string): CodedError {
  return new CodedError('SEAL_STATE', message);
}

/** Closes the current interval at `at` and opens one in `status`. */
function moveTo(seal: SealRecord, status: SealStatus, at: string, txId: string, reason: string | null): SealRecord['intervals'] {
  const intervals = seal.intervals.map((i) => (i.to === null ? { ...i, to: at } : i));
  intervals.push({ status, from: at, to: null, txId, reason });
  return intervals;
}

@Info({
  title: 'seal',
  description: 'Electronic seals: application, approval (备案), signer authorisations, state history',
  version: '1.0.0',
})
export class SealContract extends LicenseChainContract {
  constructor() {
    super('seal');
  }

  @Transaction()
  @Returns('string')
  @Param(
    'input',
    'string',
    'JSON {sealId, name, kind, format: GBT38540|PKCS7, certFingerprints[] (digests), sealDigest, validStart, validEnd (RFC 3339 UTC)}',
  )
  async Apply(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer', 'admin'], 'apply for seals');
    const data = parseApply(input);
    const validStart = parseTime(data.validStart, 'validStart');
    const validEnd = parseTime(data.validEnd, 'validEnd');
    if (validEnd <= validStart) throw new CodedError('VALIDATION_FAILED', 'validEnd must be after validStart');
    if (await getRecord<SealRecord>(ctx, OBJECT.seal, [data.sealId])) {
      throw new CodedError('CONFLICT', `seal ${data.sealId} already exists`);
    }
    const now = txTime(ctx);
    const seal: SealRecord = {
      docType: 'seal',
      sealId: data.sealId,
      ownerMsp: caller.mspId,
      name: data.name,
      kind: data.kind,
      format: data.format,
      certFingerprints: sortedSet(data.certFingerprints),
      sealDigest: data.sealDigest,
      validStart: isoOf(validStart),
      validEnd: isoOf(validEnd),
      status: 'APPLIED',
      intervals: [{ status: 'APPLIED', from: now.iso, to: null, txId: ctx.stub.getTxID(), reason: null }],
      appliedAt: now.iso,
      approvedAt: null,
      lastChange: change(ctx, caller, 'apply'),
    };
    await putRecord(ctx, OBJECT.seal, [seal.sealId], seal);
    await putIndex(ctx, OBJECT.sealByOwner, [seal.ownerMsp, seal.sealId]);
    emit(ctx, 'SealApplied', { sealId: seal.sealId, ownerMsp: seal.ownerMsp });
    return answer(seal);
  }

  @Transaction()
  @Returns('string')
  @Param('sealId', 'string', 'the seal to approve (备案)')
  async Approve(ctx: Context, sealId: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'approve seals');
    const seal = await this.#seal(ctx, sealId);
    if (seal.status !== 'APPLIED') throw sealState(`seal ${sealId} is ${seal.status}, not APPLIED`);
    const now = txTime(ctx);
    const next: SealRecord = {
      ...seal,
      status: 'ACTIVE',
      intervals: moveTo(seal, 'ACTIVE', now.iso, ctx.stub.getTxID(), null),
      approvedAt: now.iso,
      lastChange: change(ctx, caller, 'approve'),
    };
    await putRecord(ctx, OBJECT.seal, [sealId], next);
    emit(ctx, 'SealApproved', { sealId, ownerMsp: seal.ownerMsp });
    return answer(next);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {sealId, subject (ClientIdentity.getID() of the signer), notBefore, notAfter}')
  async Authorize(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer', 'admin'], 'authorise seal signers');
    const data = parseAuthorize(input);
    const notBefore = parseTime(data.notBefore, 'notBefore');
    const notAfter = parseTime(data.notAfter, 'notAfter');
    if (notAfter <= notBefore) throw new CodedError('VALIDATION_FAILED', 'notAfter must be after notBefore');
    const seal = await this.#seal(ctx, data.sealId);
    this.#assertOwner(caller, seal);
    if (seal.status === 'CANCELLED') throw sealState(`seal ${seal.sealId} is CANCELLED`);
    const old = await getRecord<SealAuthorizationRecord>(ctx, OBJECT.sealAuth, [seal.sealId, data.subject]);
    const now = txTime(ctx);
    const window: AuthorizationWindow = {
      notBefore: isoOf(notBefore),
      notAfter: isoOf(notAfter),
      grantedAt: now.iso,
      grantedBy: caller.id,
      txId: ctx.stub.getTxID(),
      revokedAt: null,
      revokeReason: null,
    };
    const auth: SealAuthorizationRecord = {
      docType: 'sealAuthorization',
      sealId: seal.sealId,
      subject: data.subject,
      windows: [...(old?.windows ?? []), window],
    };
    await putRecord(ctx, OBJECT.sealAuth, [seal.sealId, data.subject], auth);
    emit(ctx, 'SealAuthorized', { sealId: seal.sealId });
    return answer(auth);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {sealId, subject, reason}: ends every window of the subject from now on')
  async RevokeAuthorization(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer', 'admin'], 'revoke seal signers');
    const data = parseRevokeAuthorization(input);
    const seal = await this.#seal(ctx, data.sealId);
    this.#assertOwner(caller, seal);
    const old = await getRecord<SealAuthorizationRecord>(ctx, OBJECT.sealAuth, [seal.sealId, data.subject]);
    if (!old) throw new CodedError('NOT_FOUND', `no authorisation of that subject for seal ${seal.sealId}`);
    const now = txTime(ctx);
    let revoked = 0;
    const windows = old.windows.map((w) => {
      if (w.revokedAt !== null || Date.parse(w.notAfter) <= now.ms) return w;
      revoked += 1;
      return { ...w, revokedAt: now.iso, revokeReason: data.reason };
    });
    if (revoked === 0) throw new CodedError('CONFLICT', 'the subject has no current authorisation to revoke');
    const auth: SealAuthorizationRecord = { ...old, windows };
    await putRecord(ctx, OBJECT.sealAuth, [seal.sealId, data.subject], auth);
    emit(ctx, 'SealAuthorizationRevoked', { sealId: seal.sealId });
    return answer(auth);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {sealId, action: suspend|resume|cancel, reason}')
  async ChangeStatus(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer', 'admin'], 'change seal status');
    const data = parseStatus(input);
    const seal = await this.#seal(ctx, data.sealId);
    if (caller.role !== 'admin') this.#assertOwner(caller, seal);
    const [from, to] = SEAL_TRANSITIONS[data.action];
    if (!from.includes(seal.status)) throw sealState(`cannot ${data.action} seal ${seal.sealId}: it is ${seal.status}`);
    const now = txTime(ctx);
    const next: SealRecord = {
      ...seal,
      status: to,
      intervals: moveTo(seal, to, now.iso, ctx.stub.getTxID(), data.reason),
      lastChange: change(ctx, caller, data.action, data.reason),
    };
    await putRecord(ctx, OBJECT.seal, [seal.sealId], next);
    emit(ctx, 'SealStatusChanged', { sealId: seal.sealId, status: to, action: data.action });
    return answer(next);
  }

  @Transaction(false)
  @Returns('string')
  @Param('sealId', 'string', 'seal id')
  async GetSeal(ctx: Context, sealId: string): Promise<string> {
    await anyRole(ctx, 'read seals');
    return answer(await this.#seal(ctx, sealId));
  }

  @Transaction(false)
  @Returns('string')
  @Param('ownerMsp', 'string', 'MSP id of the owning organisation')
  async ListSealsByOwner(ctx: Context, ownerMsp: string): Promise<string> {
    await anyRole(ctx, 'list seals');
    checkArg(ownerMsp, PATTERNS.mspId, 'ownerMsp');
    const ids = await scanIds(ctx, OBJECT.sealByOwner, [ownerMsp]);
    const seals: SealRecord[] = [];
    for (const id of ids) {
      const seal = await getRecord<SealRecord>(ctx, OBJECT.seal, [id]);
      if (seal) seals.push(seal);
    }
    return answer(seals);
  }

  @Transaction(false)
  @Returns('string')
  @Param('sealId', 'string', 'seal id')
  async ListAuthorizations(ctx: Context, sealId: string): Promise<string> {
    await anyRole(ctx, 'list seal authorisations');
    checkArg(sealId, PATTERNS.id, 'sealId');
    return answer(await scanRecords<SealAuthorizationRecord>(ctx, OBJECT.sealAuth, [sealId]));
  }

  @Transaction(false)
  @Returns('string')
  @Param('sealId', 'string', 'seal id')
  @Param('subject', 'string', 'signer identity (ClientIdentity.getID() form), or empty for the seal alone')
  @Param('at', 'string', 'the instant to judge, RFC 3339 UTC (e.g. the signing time)')
  async CheckSeal(ctx: Context, sealId: string, subject: string, at: string): Promise<string> {
    await anyRole(ctx, 'check seals');
    checkArg(sealId, PATTERNS.id, 'sealId');
    const when = parseTime(at, 'at');
    if (subject !== '') checkArg(subject, SUBJECT.pattern, 'subject', SUBJECT.maxLength);
    const seal = await getRecord<SealRecord>(ctx, OBJECT.seal, [sealId]);
    const auth = subject === '' ? undefined : await getRecord<SealAuthorizationRecord>(ctx, OBJECT.sealAuth, [sealId, subject]);
    return answer(judgeSeal(sealId, seal, auth, subject === '' ? null : subject, when));
  }

  @Transaction(false)
  @Returns('string')
  @Param('sealId', 'string', 'seal id')
  async GetSealHistory(ctx: Context, sealId: string): Promise<string> {
    await anyRole(ctx, 'read seal history');
    checkArg(sealId, PATTERNS.id, 'sealId');
    return answer(await history<SealRecord>(ctx, OBJECT.seal, [sealId]));
  }

  async #seal(ctx: Context, sealId: string): Promise<SealRecord> {
    checkArg(sealId, PATTERNS.id, 'sealId');
    const seal = await getRecord<SealRecord>(ctx, OBJECT.seal, [sealId]);
    if (!seal) throw new CodedError('NOT_FOUND', `seal ${sealId} is not registered`);
    return seal;
  }

  #assertOwner(caller: Caller, seal: SealRecord): void {
    if (caller.mspId !== seal.ownerMsp) throw forbidden(`seal ${seal.sealId} belongs to ${seal.ownerMsp}`);
  }
}
