/**
 * Materials (申请材料): files an applicant submits through the portal, or that an agency produces,
 * kept off-chain by their custodian organisation (the caller's organisation) and recorded here by
 * digest. The same bytes from the same owner are one material: registering them again returns the
 * existing record and writes nothing.
 */
import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { type Caller, anyRole, authorize, change, forbidden, maySeePersonal } from './access';
import { LicenseChainContract } from './base-contract';
import { txTime } from './clock';
import { emit } from './events';
import { openFlags } from './flags';
import type { MaterialRecord, MaterialView } from './records';
import { OBJECT, answer, getRecord, putIndex, putRecord, scanIds } from './state';
import { PATTERNS, S, checkArg, inputParser, object } from './validation';

interface RegisterInput {
  materialId: string;
  ownerRef: string;
  kind: string;
  digest: string;
  size: number;
  mediaType: string;
  caseNo?: string;
}
const parseRegister = inputParser<RegisterInput>(
  object(
    {
      materialId: S.id,
      ownerRef: S.holderRef,
      kind: S.text(64),
      digest: S.digest,
      size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      mediaType: { type: 'string', pattern: PATTERNS.mediaType },
      caseNo: S.text(64),
    },
    ['caseNo'],
  ),
);

interface WithdrawInput {
  materialId: string;
  ownerRef?: string;
  reason: string;
}
const parseWithdraw = inputParser<WithdrawInput>(
  object({ materialId: S.id, ownerRef: S.holderRef, reason: S.text(1000) }, ['ownerRef']),
);

/** The material as `caller` may see it: owner reference only for those entitled, open dispute flags. */
export async function materialView(ctx: Context, caller: Caller, record: MaterialRecord): Promise<MaterialView> {
  const flags = await openFlags(ctx, 'material', record.materialId);
  const personal = maySeePersonal(caller, [record.custodianMsp]);
  return { ...record, ownerRef: personal ? record.ownerRef : null, flags };
}

export async function getMaterial(ctx: Context, materialId: string): Promise<MaterialRecord> {
  checkArg(materialId, PATTERNS.id, 'materialId');
  const record = await getRecord<MaterialRecord>(ctx, OBJECT.material, [materialId]);
  if (!record) throw new CodedError('NOT_FOUND', `material ${materialId} does not exist`);
  return record;
}

@Info({
  title: 'material',
  description: 'Application materials by digest: registration with dedupe, withdrawal, lookup',
  version: '1.0.0',
})
export class MaterialContract extends LicenseChainContract {
  constructor() {
    super('material');
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {materialId, ownerRef, kind, digest, size, mediaType, caseNo?}; answers {created, material}')
  async RegisterMaterial(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'issuer'], 'register materials');
    const data = parseRegister(input);
    const pointer = await getRecord<{ materialId: string }>(ctx, OBJECT.materialDedupe, [data.ownerRef, data.digest]);
    if (pointer) {
      const existing = await getRecord<MaterialRecord>(ctx, OBJECT.material, [pointer.materialId]);
      if (existing && existing.status === 'ACTIVE') {
        return answer({ created: false, material: await materialView(ctx, caller, existing) });
      }
    }
    if (await getRecord<MaterialRecord>(ctx, OBJECT.material, [data.materialId])) {
      throw new CodedError('CONFLICT', `material ${data.materialId} already exists`);
    }
    const now = txTime(ctx);
    const record: MaterialRecord = {
      docType: 'material',
      materialId: data.materialId,
      ownerRef: data.ownerRef,
      kind: data.kind,
      digest: data.digest,
      size: data.size,
      mediaType: data.mediaType,
      custodianMsp: caller.mspId,
      source: caller.role === 'portal' ? 'applicant' : 'agency',
      caseNo: data.caseNo ?? null,
      status: 'ACTIVE',
      registeredAt: now.iso,
      lastChange: change(ctx, caller, 'register'),
    };
    await putRecord(ctx, OBJECT.material, [record.materialId], record);
    await putRecord(ctx, OBJECT.materialDedupe, [data.ownerRef, data.digest], { materialId: record.materialId });
    await putIndex(ctx, OBJECT.materialByOwner, [data.ownerRef, record.materialId]);
    await putIndex(ctx, OBJECT.materialByDigest, [data.digest, record.materialId]);
    emit(ctx, 'MaterialRegistered', { materialId: record.materialId, custodianMsp: record.custodianMsp });
    return answer({ created: true, material: { ...record, flags: [] } });
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {materialId, ownerRef? (required when the portal acts for the owner), reason}')
  async WithdrawMaterial(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'issuer'], 'withdraw materials');
    const data = parseWithdraw(input);
    const old = await getMaterial(ctx, data.materialId);
    if (old.custodianMsp !== caller.mspId) throw forbidden(`material ${old.materialId} is kept by ${old.custodianMsp}`);
    if (caller.role === 'portal' && data.ownerRef !== old.ownerRef) {
      throw forbidden('the portal withdraws a material only for its owner (ownerRef)');
    }
    if (old.status !== 'ACTIVE') throw new CodedError('MATERIAL_STATE', `material ${old.materialId} is ${old.status}`);
    const record: MaterialRecord = { ...old, status: 'WITHDRAWN', lastChange: change(ctx, caller, 'withdraw', data.reason) };
    await putRecord(ctx, OBJECT.material, [record.materialId], record);
    emit(ctx, 'MaterialWithdrawn', { materialId: record.materialId });
    return answer(await materialView(ctx, caller, record));
  }

  @Transaction(false)
  @Returns('string')
  @Param('materialId', 'string', 'material id')
  async GetMaterial(ctx: Context, materialId: string): Promise<string> {
    const caller = await anyRole(ctx, 'read materials');
    return answer(await materialView(ctx, caller, await getMaterial(ctx, materialId)));
  }

  @Transaction(false)
  @Returns('string')
  @Param('digest', 'string', 'sm3:<hex> or sha256:<hex>')
  async FindMaterialsByDigest(ctx: Context, digest: string): Promise<string> {
    const caller = await anyRole(ctx, 'find materials');
    checkArg(digest, PATTERNS.digest, 'digest');
    const views: MaterialView[] = [];
    for (const id of await scanIds(ctx, OBJECT.materialByDigest, [digest])) {
      const r = await getRecord<MaterialRecord>(ctx, OBJECT.material, [id]);
      if (r) views.push(await materialView(ctx, caller, r));
    }
    return answer(views);
  }

  @Transaction(false)
  @Returns('string')
  @Param('ownerRef', 'string', 'owner reference hr:<hex>')
  async ListMaterialsByOwner(ctx: Context, ownerRef: string): Promise<string> {
    const caller = await authorize(ctx, ['portal', 'admin', 'issuer'], 'list an owner\'s materials');
    checkArg(ownerRef, PATTERNS.holderRef, 'ownerRef');
    const views: MaterialView[] = [];
    for (const id of await scanIds(ctx, OBJECT.materialByOwner, [ownerRef])) {
      const r = await getRecord<MaterialRecord>(ctx, OBJECT.material, [id]);
      if (!r || (caller.role === 'issuer' && r.custodianMsp !== caller.mspId)) continue;
      views.push(await materialView(ctx, caller, r));
    }
    return answer(views);
  }
}
