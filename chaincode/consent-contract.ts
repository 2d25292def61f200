/**
 * Consent and receipts (复用免交). The portal, acting for a material's owner, grants an
 * organisation the use of the material for a purpose (用证事由), a case number, until a time, for at
 * most N uses, and may revoke it. The grantee's own identity consumes a use with `UseMaterial`,
 * which writes a receipt (id = that transaction's id) in the same transaction; the custodian then
 * calls `RecordDelivery` once before streaming the bytes, so each receipt yields one delivery.
 *
 * Grant states are ACTIVE or REVOKED; expiry (`expiresAt`, judged at the transaction time) and
 * exhaustion (`uses` = `maxUses`) are computed, not stored.
 */
import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { type Caller, authorize, change, forbidden, maySeePersonal } from './access';
import { LicenseChainContract } from './base-contract';
import { isoOf, parseTime, txTime } from './clock';
import { emit } from './events';
import { getMaterial } from './material-contract';
import type { GrantRecord, MaterialRecord, OrganisationRecord, ReceiptRecord } from './records';
import { REQUEST_ID, earlierRecord, rememberRecord, requestConflict } from './requests';
import { OBJECT, answer, getRecord, putIndex, putRecord, scanIds } from './state';
import { PATTERNS, S, checkArg, inputParser, object } from './validation';

/** Most uses one grant may allow. */
export const MAX_GRANT_USES = 10_000;

interface GrantInput {
  materialId: string;
  ownerRef: string;
  grantee: string;
  purpose: string;
  caseNo?: string;
  expiresAt: string;
  maxUses: number;
  /** The gateway's id of the request (requests.ts): a retry answers the grant it created. */
  requestId?: string;
}
const parseGrant = inputParser<GrantInput>(
  object(
    {
      materialId: S.id,
      ownerRef: S.holderRef,
      grantee: S.mspId,
      purpose: S.text(200),
      caseNo: S.text(64),
      expiresAt: S.time,
      maxUses: { type: 'integer', minimum: 1, maximum: MAX_GRANT_USES },
      requestId: REQUEST_ID,
    },
    ['caseNo', 'requestId'],
  ),
);

interface RevokeInput {
  grantId: string;
  ownerRef: string;
  reason?: string;
}
const parseRevoke = inputParser<RevokeInput>(
  object({ grantId: S.id, ownerRef: S.holderRef, reason: S.text(1000) }, ['reason']),
);

interface UseInput {
  grantId: string;
  materialId: string;
  purpose: string;
}
const parseUse = inputParser<UseInput>(object({ grantId: S.id, materialId: S.id, purpose: S.text(200) }));

function grantInvalid(message: string): CodedError {
  return new CodedError('GRANT_INVALID', message);
}

function redactGrant(caller: Caller, grant: GrantRecord): GrantRecord {
  return maySeePersonal(caller, [grant.custodianMsp]) ? grant : { ...grant, ownerRef: null };
}

function redactReceipt(caller: Caller, receipt: ReceiptRecord): ReceiptRecord {
  return maySeePersonal(caller, [receipt.custodianMsp]) ? receipt : { ...receipt, ownerRef: null };
}

/** Verifiers and issuers see grants and receipts only of their own organisation (as grantee or custodian). */
function assertParty(caller: Caller, parties: readonly string[], what: string): void {
  if ((caller.role === 'verifier' || caller.role === 'issuer') && !parties.includes(caller.mspId)) {
    throw forbidden(`${what} concerns other organisations`);
  }
}

@Info({
  title: 'consent',
  description: 'Grants of material use, consumption with receipts, and one-time delivery records',
  version: '1.0.0',
})
export class ConsentContract extends LicenseChainContract {
  constructor() {
    super('consent');
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {materialId, ownerRef, grantee (MSP id), purpose (≤ 200), caseNo?, expiresAt, maxUses, requestId?}')
  async CreateGrant(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['portal'], 'create grants');
    const data = parseGrant(input);
    const expiresAt = parseTime(data.expiresAt, 'expiresAt');
    // A retry of a request that created a grant: that grant, as it is now; nothing written.
    const earlier = await earlierRecord(ctx, 'grant', caller.mspId, data.requestId);
    if (earlier !== undefined) {
      const grant = await this.#grant(ctx, earlier);
      const same =
        grant.materialId === data.materialId &&
        grant.ownerRef === data.ownerRef &&
        grant.granteeMsp === data.grantee &&
        grant.purpose === data.purpose &&
        grant.caseNo === (data.caseNo ?? null) &&
        grant.expiresAt === isoOf(expiresAt) &&
        grant.maxUses === data.maxUses;
      if (!same) throw requestConflict('grant', earlier);
      return answer(grant);
    }
    const now = txTime(ctx);
    if (expiresAt <= now.ms) throw new CodedError('VALIDATION_FAILED', 'expiresAt is not in the future');
    const material = await getMaterial(ctx, data.materialId);
    if (material.ownerRef !== data.ownerRef) throw forbidden('only the material\'s owner may grant its use');
    if (material.status !== 'ACTIVE') throw new CodedError('MATERIAL_STATE', `material ${material.materialId} is ${material.status}`);
    const grantee = await getRecord<OrganisationRecord>(ctx, OBJECT.org, [data.grantee]);
    if (!grantee) throw new CodedError('NOT_FOUND', `grantee ${data.grantee} is not a registered organisation`);
    const grant: GrantRecord = {
      docType: 'grant',
      grantId: ctx.stub.getTxID(),
      materialId: material.materialId,
      ownerRef: data.ownerRef,
      granteeMsp: data.grantee,
      custodianMsp: material.custodianMsp,
      purpose: data.purpose,
      caseNo: data.caseNo ?? null,
      expiresAt: isoOf(expiresAt),
      maxUses: data.maxUses,
      uses: 0,
      status: 'ACTIVE',
      grantorMsp: caller.mspId,
      createdAt: now.iso,
      lastChange: change(ctx, caller, 'grant'),
    };
    await putRecord(ctx, OBJECT.grant, [grant.grantId], grant);
    await putIndex(ctx, OBJECT.grantByOwner, [data.ownerRef, grant.grantId]);
    await putIndex(ctx, OBJECT.grantByMaterial, [grant.materialId, grant.grantId]);
    await rememberRecord(ctx, 'grant', caller.mspId, data.requestId, grant.grantId);
    emit(ctx, 'GrantCreated', { grantId: grant.grantId, materialId: grant.materialId, granteeMsp: grant.granteeMsp });
    return answer(grant);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {grantId, ownerRef (the owner the portal acts for), reason?}')
  async RevokeGrant(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['portal'], 'revoke grants');
    const data = parseRevoke(input);
    const old = await this.#grant(ctx, data.grantId);
    if (old.ownerRef !== data.ownerRef) throw forbidden('only the material\'s owner may revoke its grants');
    if (old.status !== 'ACTIVE') throw new CodedError('CONFLICT', `grant ${old.grantId} is already ${old.status}`);
    const grant: GrantRecord = { ...old, status: 'REVOKED', lastChange: change(ctx, caller, 'revoke', data.reason ?? null) };
    await putRecord(ctx, OBJECT.grant, [grant.grantId], grant);
    emit(ctx, 'GrantRevoked', { grantId: grant.grantId, materialId: grant.materialId, granteeMsp: grant.granteeMsp });
    return answer(grant);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {grantId, materialId, purpose (must be the grant\'s purpose)}; answers the receipt')
  async UseMaterial(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['verifier', 'issuer'], 'use materials');
    const data = parseUse(input);
    const grant = await getRecord<GrantRecord>(ctx, OBJECT.grant, [data.grantId]);
    if (!grant) throw grantInvalid(`grant ${data.grantId} does not exist`);
    if (grant.materialId !== data.materialId) throw grantInvalid(`grant ${grant.grantId} is not for material ${data.materialId}`);
    if (grant.granteeMsp !== caller.mspId) throw grantInvalid(`grant ${grant.grantId} was given to another organisation`);
    if (grant.status !== 'ACTIVE') throw grantInvalid(`grant ${grant.grantId} is ${grant.status}`);
    if (grant.purpose !== data.purpose) throw grantInvalid(`grant ${grant.grantId} was given for another purpose`);
    const material = await getRecord<MaterialRecord>(ctx, OBJECT.material, [grant.materialId]);
    if (!material || material.status !== 'ACTIVE') throw grantInvalid(`material ${grant.materialId} was withdrawn`);
    const now = txTime(ctx);
    if (now.ms >= Date.parse(grant.expiresAt)) throw new CodedError('GRANT_EXPIRED', `grant ${grant.grantId} expired at ${grant.expiresAt}`);
    if (grant.uses >= grant.maxUses) throw new CodedError('GRANT_EXHAUSTED', `grant ${grant.grantId} has no uses left`);
    const receipt: ReceiptRecord = {
      docType: 'receipt',
      receiptId: ctx.stub.getTxID(),
      materialId: grant.materialId,
      grantId: grant.grantId,
      ownerRef: grant.ownerRef,
      granteeMsp: caller.mspId,
      granteeId: caller.id,
      custodianMsp: material.custodianMsp,
      purpose: grant.purpose,
      caseNo: grant.caseNo,
      digest: material.digest,
      at: now.iso,
      delivered: false,
      deliveredAt: null,
      deliveryTxId: null,
    };
    const used: GrantRecord = { ...grant, uses: grant.uses + 1, lastChange: change(ctx, caller, 'use') };
    await putRecord(ctx, OBJECT.grant, [used.grantId], used);
    await putRecord(ctx, OBJECT.receipt, [receipt.receiptId], receipt);
    await putIndex(ctx, OBJECT.receiptByMaterial, [receipt.materialId, receipt.receiptId]);
    await putIndex(ctx, OBJECT.receiptByOwner, [grant.ownerRef as string, receipt.receiptId]);
    emit(ctx, 'MaterialUsed', {
      receiptId: receipt.receiptId,
      grantId: grant.grantId,
      materialId: grant.materialId,
      granteeMsp: caller.mspId,
    });
    return answer(redactReceipt(caller, receipt));
  }

  @Transaction()
  @Returns('string')
  @Param('receiptId', 'string', 'the receipt to deliver (custodian organisation only, once)')
  async RecordDelivery(ctx: Context, receiptId: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'issuer'], 'record deliveries');
    const old = await this.#receipt(ctx, receiptId);
    if (old.custodianMsp !== caller.mspId) throw forbidden(`receipt ${old.receiptId} is for custodian ${old.custodianMsp}`);
    if (old.delivered) throw new CodedError('CONFLICT', `receipt ${old.receiptId} was delivered at ${old.deliveredAt ?? '?'}`);
    const grant = await getRecord<GrantRecord>(ctx, OBJECT.grant, [old.grantId]);
    if (!grant || grant.status !== 'ACTIVE') throw grantInvalid(`grant ${old.grantId} was revoked`);
    const material = await getRecord<MaterialRecord>(ctx, OBJECT.material, [old.materialId]);
    if (!material || material.status !== 'ACTIVE') throw grantInvalid(`material ${old.materialId} was withdrawn`);
    const now = txTime(ctx);
    const receipt: ReceiptRecord = { ...old, delivered: true, deliveredAt: now.iso, deliveryTxId: ctx.stub.getTxID() };
    await putRecord(ctx, OBJECT.receipt, [receipt.receiptId], receipt);
    emit(ctx, 'ReceiptDelivered', { receiptId: receipt.receiptId, materialId: receipt.materialId });
    return answer(receipt);
  }

  @Transaction(false)
  @Returns('string')
  @Param('grantId', 'string', 'grant id')
  async GetGrant(ctx: Context, grantId: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin', 'auditor', 'verifier', 'issuer'], 'read grants');
    const grant = await this.#grant(ctx, grantId);
    assertParty(caller, [grant.granteeMsp, grant.custodianMsp], `grant ${grantId}`);
    return answer(redactGrant(caller, grant));
  }

  @Transaction(false)
  @Returns('string')
  @Param('ownerRef', 'string', 'owner reference hr:<hex>')
  async ListGrantsByOwner(ctx: Context, ownerRef: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin'], 'list an owner\'s grants');
    checkArg(ownerRef, PATTERNS.holderRef, 'ownerRef');
    return answer(await this.#grants(ctx, caller, await scanIds(ctx, OBJECT.grantByOwner, [ownerRef])));
  }

  @Transaction(false)
  @Returns('string')
  @Param('materialId', 'string', 'material id')
  async ListGrantsByMaterial(ctx: Context, materialId: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin', 'auditor', 'issuer'], 'list a material\'s grants');
    const material = await getMaterial(ctx, materialId);
    assertParty(caller, [material.custodianMsp], `material ${materialId}`);
    return answer(await this.#grants(ctx, caller, await scanIds(ctx, OBJECT.grantByMaterial, [materialId])));
  }

  @Transaction(false)
  @Returns('string')
  @Param('receiptId', 'string', 'receipt id (the id of the transaction that used the material)')
  async GetReceipt(ctx: Context, receiptId: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin', 'auditor', 'verifier', 'issuer'], 'read receipts');
    const receipt = await this.#receipt(ctx, receiptId);
    assertParty(caller, [receipt.granteeMsp, receipt.custodianMsp], `receipt ${receiptId}`);
    return answer(redactReceipt(caller, receipt));
  }

  @Transaction(false)
  @Returns('string')
  @Param('materialId', 'string', 'material id')
  async ListReceiptsByMaterial(ctx: Context, materialId: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin', 'auditor', 'issuer'], 'list a material\'s receipts');
    const material = await getMaterial(ctx, materialId);
    assertParty(caller, [material.custodianMsp], `material ${materialId}`);
    return answer(await this.#receipts(ctx, caller, await scanIds(ctx, OBJECT.receiptByMaterial, [materialId])));
  }

  @Transaction(false)
  @Returns('string')
  @Param('ownerRef', 'string', 'owner reference hr:<hex>')
  async ListReceiptsByOwner(ctx: Context, ownerRef: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin'], 'list an owner\'s receipts');
    checkArg(ownerRef, PATTERNS.holderRef, 'ownerRef');
    return answer(await this.#receipts(ctx, caller, await scanIds(ctx, OBJECT.receiptByOwner, [ownerRef])));
  }

  async #grant(ctx: Context, grantId: string): Promise<GrantRecord> {
    checkArg(grantId, PATTERNS.id, 'grantId');
    const grant = await getRecord<GrantRecord>(ctx, OBJECT.grant, [grantId]);
    if (!grant) throw new CodedError('NOT_FOUND', `grant ${grantId} does not exist`);
    return grant;
  }

  async #receipt(ctx: Context, receiptId: string): Promise<ReceiptRecord> {
    checkArg(receiptId, PATTERNS.id, 'receiptId');
    const receipt = await getRecord<ReceiptRecord>(ctx, OBJECT.receipt, [receiptId]);
    if (!receipt) throw new CodedError('NOT_FOUND', `receipt ${receiptId} does not exist`);
    return receipt;
  }

  async #grants(ctx: Context, caller: Caller, ids: string[]): Promise<GrantRecord[]> {
    const out: GrantRecord[] = [];
    for (const id of ids) {
      const g = await getRecord<GrantRecord>(ctx, OBJECT.grant, [id]);
      if (g) out.push(redactGrant(caller, g));
    }
    return out;
  }

  async #receipts(ctx: Context, caller: Caller, ids: string[]): Promise<ReceiptRecord[]> {
    const out: ReceiptRecord[] = [];
    for (const id of ids) {
      const r = await getRecord<ReceiptRecord>(ctx, OBJECT.receipt, [id]);
      if (r) out.push(redactReceipt(caller, r));
    }
    return out;
  }
}
