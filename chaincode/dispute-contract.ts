/**
 * Disputes (数据异议处理):
 *
 *   raise (portal, verifier, admin) → SUBMITTED
 *   SUBMITTED → accept (admin) → ACCEPTED: the subject is flagged (every read of it shows the
 *     dispute id), assignee = the license's issuer / the material's custodian unless named,
 *     due = 5 working days from acceptance (clock.ts `addWorkingDays`: same UTC+8 time of day on
 *     the 5th weekday after the acceptance day; weekends skipped, holidays out of scope)
 *   SUBMITTED → refuse (admin) → REFUSED
 *   ACCEPTED → extend (admin, once) → due = 10 working days from acceptance
 *   ACCEPTED → resolve (the assignee organisation) → CORRECTED | CONFIRMED, flag removed (closed)
 *     - corrected, license: names the new version, which must be the subject's direct successor
 *     - corrected, material: the custodian has withdrawn the material (optionally names its
 *       replacement, a material of the same owner)
 *     - confirmed: a note (the reasons) is required
 *
 * Wrong actor → FORBIDDEN, wrong state → DISPUTE_STATE. Overdue = ACCEPTED with dueAt before the
 * querying transaction's timestamp.
 */
import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { parseLicenseIdentifier } from '../domain/license-identifier';
import { type Caller, authorize, change, forbidden, maySeePersonal } from './access';
import { LicenseChainContract } from './base-contract';
import { addWorkingDays, isoOf, txTime } from './clock';
import { emit } from './events';
import type { SubjectKind } from './flags';
import type { DisputeRecord, DisputeStatus, LicenseRecord, MaterialRecord, OrganisationRecord } from './records';
import { REQUEST_ID, earlierRecord, rememberRecord, requestConflict } from './requests';
import { OBJECT, answer, deleteKey, getRecord, putIndex, putRecord, scanIds } from './state';
import { PATTERNS, S, checkArg, inputParser, object } from './validation';

/** Working days from acceptance to the due time, and after the one extension. */
export const DUE_WORKING_DAYS = 5;
export const EXTENDED_WORKING_DAYS = 10;

const STATUSES: readonly DisputeStatus[] = ['SUBMITTED', 'ACCEPTED', 'REFUSED', 'CORRECTED', 'CONFIRMED'];

interface RaiseInput {
  subject: { kind: SubjectKind; id: string };
  reason: string;
  evidence?: string[];
  holderRef?: string;
  /** The gateway's id of the request (requests.ts): a retry answers the dispute it raised. */
  requestId?: string;
}
const parseRaise = inputParser<RaiseInput>(
  object(
    {
      subject: object({ kind: { enum: ['license', 'material'] }, id: { type: 'string', minLength: 1, maxLength: 128 } }),
      reason: S.text(2000),
      evidence: { type: 'array', maxItems: 50, uniqueItems: true, items: S.digest },
      holderRef: S.holderRef,
      requestId: REQUEST_ID,
    },
    ['evidence', 'holderRef', 'requestId'],
  ),
);

interface AcceptInput {
  disputeId: string;
  assignee?: string;
  note?: string;
}
const parseAccept = inputParser<AcceptInput>(
  object({ disputeId: S.id, assignee: S.mspId, note: S.text(2000) }, ['assignee', 'note']),
);

interface ReasonInput {
  disputeId: string;
  reason: string;
}
const parseReason = inputParser<ReasonInput>(object({ disputeId: S.id, reason: S.text(2000) }));

interface ResolveInput {
  disputeId: string;
  outcome: 'corrected' | 'confirmed';
  note?: string;
  newVersion?: string;
}
const parseResolve = inputParser<ResolveInput>(
  object(
    {
      disputeId: S.id,
      outcome: { enum: ['corrected', 'confirmed'] },
      note: S.text(2000),
      newVersion: { type: 'string', minLength: 1, maxLength: 128 },
    },
    ['note', 'newVersion'],
  ),
);

function disputeState(message: string): CodedError {
  return new CodedError('DISPUTE_STATE', message);
}

function redact(caller: Caller, d: DisputeRecord): DisputeRecord {
  return maySeePersonal(caller, d.assigneeMsp ? [d.assigneeMsp] : []) ? d : { ...d, holderRef: null };
}

async function subjectKeeper(ctx: Context, kind: SubjectKind, id: string): Promise<string> {
  if (kind === 'license') {
    parseLicenseIdentifier(id);
    const license = await getRecord<LicenseRecord>(ctx, OBJECT.license, [id]);
    if (!license) throw new CodedError('NOT_FOUND', `license ${id} does not exist`);
    return license.issuerMsp;
  }
  checkArg(id, PATTERNS.id, 'subject.id');
  const material = await getRecord<MaterialRecord>(ctx, OBJECT.material, [id]);
  if (!material) throw new CodedError('NOT_FOUND', `material ${id} does not exist`);
  return material.custodianMsp;
}

/** Moves a dispute's status index entry. */
async function reindex(ctx: Context, from: DisputeStatus, to: DisputeStatus, id: string): Promise<void> {
  await deleteKey(ctx, OBJECT.disputeByStatus, [from, id]);
  await putIndex(ctx, OBJECT.disputeByStatus, [to, id]);
}

@Info({
  title: 'dispute',
  description: 'Data disputes (数据异议): raise, accept with flag and due time, refuse, extend, resolve',
  version: '1.0.0',
})
export class DisputeContract extends LicenseChainContract {
  constructor() {
    super('dispute');
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {subject: {kind: license|material, id}, reason, evidence?: [digest], holderRef?, requestId?}')
  async Raise(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'verifier', 'admin'], 'raise disputes');
    const data = parseRaise(input);
    // A retry of a request that raised a dispute: that dispute, as it is now; nothing written.
    const earlier = await earlierRecord(ctx, 'dispute', caller.mspId, data.requestId);
    if (earlier !== undefined) {
      const dispute = await getRecord<DisputeRecord>(ctx, OBJECT.dispute, [earlier]);
      if (!dispute) throw new CodedError('NOT_FOUND', `dispute ${earlier} does not exist`);
      const same =
        dispute.subjectKind === data.subject.kind &&
        dispute.subjectId === data.subject.id &&
        dispute.reason === data.reason &&
        dispute.holderRef === (data.holderRef ?? null) &&
        JSON.stringify(dispute.evidence) === JSON.stringify(data.evidence ?? []);
      if (!same) throw requestConflict('dispute', earlier);
      return answer(dispute);
    }
    if (data.holderRef !== undefined && caller.role !== 'portal' && caller.role !== 'admin') {
      throw forbidden('only the portal or an admin raises a dispute for a holder');
    }
    await subjectKeeper(ctx, data.subject.kind, data.subject.id);
    const now = txTime(ctx);
    const dispute: DisputeRecord = {
      docType: 'dispute',
      disputeId: ctx.stub.getTxID(),
      subjectKind: data.subject.kind,
      subjectId: data.subject.id,
      raiserMsp: caller.mspId,
      raiserRole: caller.role,
      holderRef: data.holderRef ?? null,
      reason: data.reason,
      evidence: [...(data.evidence ?? [])],
      status: 'SUBMITTED',
      assigneeMsp: null,
      acceptedAt: null,
      dueAt: null,
      extended: false,
      outcome: null,
      newVersion: null,
      note: null,
      raisedAt: now.iso,
      closedAt: null,
      lastChange: change(ctx, caller, 'raise', data.reason),
    };
    await putRecord(ctx, OBJECT.dispute, [dispute.disputeId], dispute);
    await putIndex(ctx, OBJECT.disputeByStatus, ['SUBMITTED', dispute.disputeId]);
    if (dispute.holderRef) await putIndex(ctx, OBJECT.disputeByHolder, [dispute.holderRef, dispute.disputeId]);
    await rememberRecord(ctx, 'dispute', caller.mspId, data.requestId, dispute.disputeId);
    emit(ctx, 'DisputeRaised', { disputeId: dispute.disputeId, subjectKind: dispute.subjectKind, subjectId: dispute.subjectId });
    return answer(dispute);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {disputeId, assignee? (MSP id; default the issuer/custodian), note?}')
  async Accept(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'accept disputes');
    const data = parseAccept(input);
    const old = await this.#dispute(ctx, data.disputeId);
    if (old.status !== 'SUBMITTED') throw disputeState(`dispute ${old.disputeId} is ${old.status}, not SUBMITTED`);
    let assignee = data.assignee;
    if (assignee === undefined) {
      assignee = await subjectKeeper(ctx, old.subjectKind, old.subjectId);
    } else if (!(await getRecord<OrganisationRecord>(ctx, OBJECT.org, [assignee]))) {
      throw new CodedError('NOT_FOUND', `assignee ${assignee} is not a registered organisation`);
    }
    const now = txTime(ctx);
    const dispute: DisputeRecord = {
      ...old,
      status: 'ACCEPTED',
      assigneeMsp: assignee,
      acceptedAt: now.iso,
      dueAt: isoOf(addWorkingDays(now.ms, DUE_WORKING_DAYS)),
      note: data.note ?? null,
      lastChange: change(ctx, caller, 'accept', data.note ?? null),
    };
    await putRecord(ctx, OBJECT.dispute, [dispute.disputeId], dispute);
    await reindex(ctx, 'SUBMITTED', 'ACCEPTED', dispute.disputeId);
    await putIndex(ctx, OBJECT.disputeByAssignee, [assignee, dispute.disputeId]);
    await putRecord(ctx, OBJECT.flag, [dispute.subjectKind, dispute.subjectId, dispute.disputeId], {
      disputeId: dispute.disputeId,
      since: now.iso,
    });
    emit(ctx, 'DisputeAccepted', {
      disputeId: dispute.disputeId,
      subjectKind: dispute.subjectKind,
      subjectId: dispute.subjectId,
      assigneeMsp: assignee,
      dueAt: dispute.dueAt,
    });
    return answer(dispute);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {disputeId, reason}')
  async Refuse(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'refuse disputes');
    const data = parseReason(input);
    const old = await this.#dispute(ctx, data.disputeId);
    if (old.status !== 'SUBMITTED') throw disputeState(`dispute ${old.disputeId} is ${old.status}, not SUBMITTED`);
    const now = txTime(ctx);
    const dispute: DisputeRecord = {
      ...old,
      status: 'REFUSED',
      note: data.reason,
      closedAt: now.iso,
      lastChange: change(ctx, caller, 'refuse', data.reason),
    };
    await putRecord(ctx, OBJECT.dispute, [dispute.disputeId], dispute);
    await reindex(ctx, 'SUBMITTED', 'REFUSED', dispute.disputeId);
    emit(ctx, 'DisputeRefused', { disputeId: dispute.disputeId });
    return answer(dispute);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {disputeId, reason}: moves the due time, once, to 10 working days from acceptance')
  async Extend(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'extend disputes');
    const data = parseReason(input);
    const old = await this.#dispute(ctx, data.disputeId);
    if (old.status !== 'ACCEPTED') throw disputeState(`dispute ${old.disputeId} is ${old.status}, not ACCEPTED`);
    if (old.extended) throw disputeState(`dispute ${old.disputeId} was already extended`);
    const dispute: DisputeRecord = {
      ...old,
      extended: true,
      dueAt: isoOf(addWorkingDays(Date.parse(old.acceptedAt as string), EXTENDED_WORKING_DAYS)),
      lastChange: change(ctx, caller, 'extend', data.reason),
    };
    await putRecord(ctx, OBJECT.dispute, [dispute.disputeId], dispute);
    emit(ctx, 'DisputeExtended', { disputeId: dispute.disputeId, dueAt: dispute.dueAt });
    return answer(dispute);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {disputeId, outcome: corrected|confirmed, note? (required for confirmed), newVersion? (required for a corrected license)}')
  async Resolve(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['issuer', 'portal'], 'resolve disputes');
    const data = parseResolve(input);
    const old = await this.#dispute(ctx, data.disputeId);
    if (old.assigneeMsp !== caller.mspId) throw forbidden(`dispute ${old.disputeId} is not assigned to ${caller.mspId}`);
    if (old.status !== 'ACCEPTED') throw disputeState(`dispute ${old.disputeId} is ${old.status}, not ACCEPTED`);
    if (data.outcome === 'confirmed') {
      if (data.note === undefined) throw new CodedError('VALIDATION_FAILED', 'a confirmed dispute needs a note with the reasons');
      if (data.newVersion !== undefined) throw new CodedError('VALIDATION_FAILED', 'a confirmed dispute names no new version');
    } else if (old.subjectKind === 'license') {
      if (data.newVersion === undefined) throw new CodedError('VALIDATION_FAILED', 'a corrected license dispute names the new version');
      parseLicenseIdentifier(data.newVersion);
      const subject = await getRecord<LicenseRecord>(ctx, OBJECT.license, [old.subjectId]);
      if (!subject || subject.nextIdentifier !== data.newVersion) {
        throw new CodedError('LICENSE_STATE', `license ${old.subjectId} is not superseded by ${data.newVersion}`);
      }
    } else {
      const subject = await getRecord<MaterialRecord>(ctx, OBJECT.material, [old.subjectId]);
      if (!subject || subject.status !== 'WITHDRAWN') {
        throw new CodedError('MATERIAL_STATE', `material ${old.subjectId} must be withdrawn before the dispute is closed as corrected`);
      }
      if (data.newVersion !== undefined) {
        checkArg(data.newVersion, PATTERNS.id, 'newVersion');
        const replacement = await getRecord<MaterialRecord>(ctx, OBJECT.material, [data.newVersion]);
        if (!replacement || replacement.ownerRef !== subject.ownerRef || replacement.status !== 'ACTIVE') {
          throw new CodedError('VALIDATION_FAILED', `material ${data.newVersion} is not an active material of the same owner`);
        }
      }
    }
    const now = txTime(ctx);
    const status: DisputeStatus = data.outcome === 'corrected' ? 'CORRECTED' : 'CONFIRMED';
    const dispute: DisputeRecord = {
      ...old,
      status,
      outcome: data.outcome,
      newVersion: data.newVersion ?? null,
      note: data.note ?? old.note,
      closedAt: now.iso,
      lastChange: change(ctx, caller, `resolve-${data.outcome}`, data.note ?? null),
    };
    await putRecord(ctx, OBJECT.dispute, [dispute.disputeId], dispute);
    await reindex(ctx, 'ACCEPTED', status, dispute.disputeId);
    await deleteKey(ctx, OBJECT.flag, [dispute.subjectKind, dispute.subjectId, dispute.disputeId]);
    emit(ctx, 'DisputeResolved', {
      disputeId: dispute.disputeId,
      outcome: data.outcome,
      subjectKind: dispute.subjectKind,
      subjectId: dispute.subjectId,
      newVersion: dispute.newVersion,
    });
    return answer(dispute);
  }

  @Transaction(false)
  @Returns('string')
  @Param('disputeId', 'string', 'dispute id')
  async GetDispute(ctx: Context, disputeId: string): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'auditor', 'portal', 'verifier', 'issuer'], 'read disputes');
    const dispute = await this.#dispute(ctx, disputeId);
    if (
      (caller.role === 'verifier' || caller.role === 'issuer') &&
      caller.mspId !== dispute.raiserMsp &&
      caller.mspId !== dispute.assigneeMsp
    ) {
      throw forbidden(`dispute ${disputeId} concerns other organisations`);
    }
    return answer(redact(caller, dispute));
  }

  @Transaction(false)
  @Returns('string')
  @Param('status', 'string', 'SUBMITTED | ACCEPTED | REFUSED | CORRECTED | CONFIRMED')
  async ListDisputesByStatus(ctx: Context, status: string): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'auditor'], 'list disputes');
    if (!(STATUSES as readonly string[]).includes(status)) throw new CodedError('VALIDATION_FAILED', 'unknown dispute status');
    return answer(await this.#list(ctx, caller, await scanIds(ctx, OBJECT.disputeByStatus, [status])));
  }

  @Transaction(false)
  @Returns('string')
  @Param('assigneeMsp', 'string', 'MSP id of the assignee')
  async ListDisputesByAssignee(ctx: Context, assigneeMsp: string): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'auditor', 'issuer', 'portal'], 'list assigned disputes');
    checkArg(assigneeMsp, PATTERNS.mspId, 'assigneeMsp');
    if ((caller.role === 'issuer' || caller.role === 'portal') && caller.mspId !== assigneeMsp) {
      throw forbidden('an organisation lists only the disputes assigned to it');
    }
    return answer(await this.#list(ctx, caller, await scanIds(ctx, OBJECT.disputeByAssignee, [assigneeMsp])));
  }

  @Transaction(false)
  @Returns('string')
  @Param('holderRef', 'string', 'holder reference hr:<hex>')
  async ListDisputesByHolder(ctx: Context, holderRef: string): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'portal'], 'list a holder\'s disputes');
    checkArg(holderRef, PATTERNS.holderRef, 'holderRef');
    return answer(await this.#list(ctx, caller, await scanIds(ctx, OBJECT.disputeByHolder, [holderRef])));
  }

  @Transaction(false)
  @Returns('string')
  async ListOverdueDisputes(ctx: Context): Promise<string> {
    const caller = await authorize(ctx, ['admin', 'auditor'], 'list overdue disputes');
    const now = txTime(ctx).ms;
    const open = await this.#list(ctx, caller, await scanIds(ctx, OBJECT.disputeByStatus, ['ACCEPTED']));
    return answer(open.filter((d) => d.dueAt !== null && Date.parse(d.dueAt) < now));
  }

  async #dispute(ctx: Context, disputeId: string): Promise<DisputeRecord> {
    checkArg(disputeId, PATTERNS.id, 'disputeId');
    const dispute = await getRecord<DisputeRecord>(ctx, OBJECT.dispute, [disputeId]);
    if (!dispute) throw new CodedError('NOT_FOUND', `dispute ${disputeId} does not exist`);
    return dispute;
  }

  async #list(ctx: Context, caller: Caller, ids: string[]): Promise<DisputeRecord[]> {
    const out: DisputeRecord[] = [];
    for (const id of ids) {
      const d = await getRecord<DisputeRecord>(ctx, OBJECT.dispute, [id]);
      if (d) out.push(redact(caller, d));
    }
    return out;
  }
}
