import t from 'tap';
import {
  AGENCY_A,
  AGENCY_B,
  HOLDER_1,
  HOLDER_2,
  PORTAL,
  VERIFIER,
  call,
  consortium,
  digest,
  grantInput,
  materialInput,
  query,
  refused,
  submitAt,
} from './support';

type Material = { materialId: string; ownerRef: string | null; status: string; source: string; custodianMsp: string; flags: string[] };
type Grant = { grantId: string; uses: number; status: string; ownerRef: string | null };
type Receipt = { receiptId: string; grantId: string; materialId: string; granteeMsp: string; purpose: string; delivered: boolean; digest: string; ownerRef: string | null };

t.test('materials: register, dedupe, find by digest, withdraw', async (t) => {
  const c = await consortium(t);
  const first = await call<{ created: boolean; material: Material }>(c.portal, 'material:RegisterMaterial', materialInput('m-1', { caseNo: 'C-1' }));
  t.match(first, { created: true, material: { materialId: 'm-1', ownerRef: HOLDER_1, custodianMsp: PORTAL, source: 'applicant', status: 'ACTIVE' } });
  const height = c.net.ledger.height;
  const again = await c.portal.submit('material:RegisterMaterial', { arguments: [JSON.stringify(materialInput('m-1-dup', { digest: digest('bytes-m-1') }))] });
  const dup = JSON.parse(Buffer.from(again.result).toString()) as { created: boolean; material: Material };
  t.match(dup, { created: false, material: { materialId: 'm-1' } }, 'same owner + digest → the existing material');
  const tx = (await c.net.ledger.getTransaction(again.transactionId)) as { writes: unknown[]; event?: string };
  t.ok(c.net.ledger.height > height, 'committed');
  t.same(tx.writes, [], 'the duplicate writes nothing');
  t.equal(tx.event, undefined, 'and emits no event');
  await refused(t, query(c.admin, 'material:GetMaterial', 'm-1-dup'), 'NOT_FOUND', 'no new material');
  const other = await call<{ created: boolean }>(c.portal, 'material:RegisterMaterial', materialInput('m-2', { ownerRef: HOLDER_2, digest: digest('bytes-m-1') }));
  t.equal(other.created, true, 'same bytes, another owner → another material');
  const byAgency = await call<{ material: Material }>(c.issuerA, 'material:RegisterMaterial', materialInput('m-3', { kind: 'inspection-report' }));
  t.match(byAgency.material, { source: 'agency', custodianMsp: AGENCY_A });
  await refused(t, call(c.verifier, 'material:RegisterMaterial', materialInput('m-4')), 'FORBIDDEN');
  await refused(t, call(c.portal, 'material:RegisterMaterial', materialInput('m-1', { digest: digest('other') })), 'CONFLICT', 'material id taken');
  await refused(t, call(c.portal, 'material:RegisterMaterial', materialInput('m-5', { size: -1 })), 'VALIDATION_FAILED');
  await refused(t, call(c.portal, 'material:RegisterMaterial', materialInput('m-5', { mediaType: 'pdf' })), 'VALIDATION_FAILED');

  const found = await query<Material[]>(c.verifier, 'material:FindMaterialsByDigest', digest('bytes-m-1'));
  t.same(found.map((m) => m.materialId).sort(), ['m-1', 'm-2']);
  t.ok(found.every((m) => m.ownerRef === null), 'a verifier sees no owner');
  t.equal((await query<Material>(c.portal, 'material:GetMaterial', 'm-1')).ownerRef, HOLDER_1);
  t.equal((await query<Material>(c.issuerA, 'material:GetMaterial', 'm-3')).ownerRef, HOLDER_1, 'the custodian sees the owner');
  t.equal((await query<Material>(c.issuerB, 'material:GetMaterial', 'm-3')).ownerRef, null);
  const mine = await query<Material[]>(c.portal, 'material:ListMaterialsByOwner', HOLDER_1);
  t.same(mine.map((m) => m.materialId), ['m-1', 'm-3']);
  t.same((await query<Material[]>(c.issuerA, 'material:ListMaterialsByOwner', HOLDER_1)).map((m) => m.materialId), ['m-3'], 'an issuer lists only what it keeps');
  await refused(t, query(c.verifier, 'material:ListMaterialsByOwner', HOLDER_1), 'FORBIDDEN');

  await refused(t, call(c.portal, 'material:WithdrawMaterial', { materialId: 'm-1', ownerRef: HOLDER_2, reason: 'x' }), 'FORBIDDEN', 'not the owner');
  await refused(t, call(c.portal, 'material:WithdrawMaterial', { materialId: 'm-1', reason: 'x' }), 'FORBIDDEN', 'the portal must name the owner');
  await refused(t, call(c.issuerA, 'material:WithdrawMaterial', { materialId: 'm-1', reason: 'x' }), 'FORBIDDEN', 'not the custodian');
  const withdrawn = await call<Material>(c.portal, 'material:WithdrawMaterial', { materialId: 'm-1', ownerRef: HOLDER_1, reason: 'wrong file' });
  t.equal(withdrawn.status, 'WITHDRAWN');
  await refused(t, call(c.portal, 'material:WithdrawMaterial', { materialId: 'm-1', ownerRef: HOLDER_1, reason: 'again' }), 'MATERIAL_STATE');
  const fresh = await call<{ created: boolean; material: Material }>(c.portal, 'material:RegisterMaterial', materialInput('m-1b', { digest: digest('bytes-m-1') }));
  t.match(fresh, { created: true, material: { materialId: 'm-1b' } }, 'after withdrawal the same bytes register anew');
});

t.test('consent: grant, use with receipt, one delivery, revoke, refusal codes', async (t) => {
  const c = await consortium(t);
  await call(c.portal, 'material:RegisterMaterial', materialInput('m-1'));
  await refused(t, call(c.portal, 'consent:CreateGrant', grantInput('m-1', { ownerRef: HOLDER_2 })), 'FORBIDDEN', 'only the owner grants');
  await refused(t, call(c.portal, 'consent:CreateGrant', grantInput('m-1', { grantee: 'NobodyMSP' })), 'NOT_FOUND', 'unregistered grantee');
  await refused(t, call(c.portal, 'consent:CreateGrant', grantInput('m-1', { purpose: 'x'.repeat(201) })), 'VALIDATION_FAILED', 'purpose over 200 characters');
  await refused(t, call(c.portal, 'consent:CreateGrant', grantInput('m-1', { expiresAt: '2001-01-01T00:00:00Z' })), 'VALIDATION_FAILED', 'already expired');
  await refused(t, call(c.portal, 'consent:CreateGrant', grantInput('m-9')), 'NOT_FOUND', 'unknown material');
  await refused(t, call(c.verifier, 'consent:CreateGrant', grantInput('m-1')), 'FORBIDDEN', 'only the portal grants');
  const purpose200 = '用'.repeat(200);
  const grant = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-1', { purpose: purpose200 }));
  t.match(grant, { uses: 0, status: 'ACTIVE', ownerRef: HOLDER_1 });
  const use = { grantId: grant.grantId, materialId: 'm-1', purpose: purpose200 };

  await refused(t, call(c.issuerA, 'consent:UseMaterial', use), 'GRANT_INVALID', 'another organisation');
  await refused(t, call(c.verifier, 'consent:UseMaterial', { ...use, grantId: 'nope' }), 'GRANT_INVALID', 'no such grant');
  await refused(t, call(c.verifier, 'consent:UseMaterial', { ...use, purpose: 'something else' }), 'GRANT_INVALID', 'another purpose');
  await refused(t, call(c.portal, 'consent:UseMaterial', use), 'FORBIDDEN', 'the portal does not consume grants');

  const used = await c.verifier.submit('consent:UseMaterial', { arguments: [JSON.stringify(use)] });
  const receipt = JSON.parse(Buffer.from(used.result).toString()) as Receipt;
  t.match(receipt, { receiptId: used.transactionId, grantId: grant.grantId, materialId: 'm-1', granteeMsp: VERIFIER, delivered: false, digest: digest('bytes-m-1'), ownerRef: null });
  t.equal((await query<Grant>(c.portal, 'consent:GetGrant', grant.grantId)).uses, 1, 'the use is consumed in the same transaction');

  await refused(t, call(c.verifier, 'consent:RecordDelivery', receipt.receiptId), 'FORBIDDEN', 'only the custodian records delivery');
  await refused(t, call(c.issuerA, 'consent:RecordDelivery', receipt.receiptId), 'FORBIDDEN', 'another organisation');
  const delivered = await call<Receipt>(c.portal, 'consent:RecordDelivery', receipt.receiptId);
  t.equal(delivered.delivered, true);
  await refused(t, call(c.portal, 'consent:RecordDelivery', receipt.receiptId), 'CONFLICT', 'a second delivery');
  await refused(t, call(c.portal, 'consent:RecordDelivery', 'nope'), 'NOT_FOUND');

  await call(c.verifier, 'consent:UseMaterial', use);
  await refused(t, call(c.verifier, 'consent:UseMaterial', use), 'GRANT_EXHAUSTED', 'max uses reached');

  const receipts = await query<Receipt[]>(c.portal, 'consent:ListReceiptsByOwner', HOLDER_1);
  t.equal(receipts.length, 2, 'the holder sees every receipt');
  t.equal((await query<Receipt[]>(c.auditor, 'consent:ListReceiptsByMaterial', 'm-1')).length, 2);
  t.ok((await query<Receipt[]>(c.auditor, 'consent:ListReceiptsByMaterial', 'm-1')).every((r) => r.ownerRef === null), 'auditors see no owner');
  t.equal((await query<Receipt>(c.verifier, 'consent:GetReceipt', receipt.receiptId)).receiptId, receipt.receiptId, 'the grantee reads its receipt');
  await refused(t, query(c.issuerB, 'consent:GetReceipt', receipt.receiptId), 'FORBIDDEN', 'an unrelated organisation does not');
  await refused(t, query(c.verifier, 'consent:ListReceiptsByOwner', HOLDER_1), 'FORBIDDEN');

  // revoke
  const g2 = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-1', { maxUses: 5 }));
  const use2 = { grantId: g2.grantId, materialId: 'm-1', purpose: '办理营业执照变更' };
  const r2 = await call<Receipt>(c.verifier, 'consent:UseMaterial', use2);
  await refused(t, call(c.portal, 'consent:RevokeGrant', { grantId: g2.grantId, ownerRef: HOLDER_2 }), 'FORBIDDEN', 'only the owner revokes');
  const revoked = await call<Grant>(c.portal, 'consent:RevokeGrant', { grantId: g2.grantId, ownerRef: HOLDER_1, reason: 'changed my mind' });
  t.equal(revoked.status, 'REVOKED');
  await refused(t, call(c.portal, 'consent:RevokeGrant', { grantId: g2.grantId, ownerRef: HOLDER_1 }), 'CONFLICT', 'revoked twice');
  await refused(t, call(c.verifier, 'consent:UseMaterial', use2), 'GRANT_INVALID', 'revoked grant');
  await refused(t, call(c.portal, 'consent:RecordDelivery', r2.receiptId), 'GRANT_INVALID', 'no delivery after revocation');
  t.same((await query<Grant[]>(c.portal, 'consent:ListGrantsByOwner', HOLDER_1)).map((g) => g.status).sort(), ['ACTIVE', 'REVOKED']);
  t.equal((await query<Grant[]>(c.auditor, 'consent:ListGrantsByMaterial', 'm-1')).length, 2);

  // expiry, judged at the transaction time
  const g3 = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-1', { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
  await refused(t, submitAt(c.net, c.verifier, new Date(Date.now() + 7_200_000), 'consent:UseMaterial', { grantId: g3.grantId, materialId: 'm-1', purpose: '办理营业执照变更' }), 'GRANT_EXPIRED');

  // a withdrawn material invalidates its grants
  const g4 = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-1'));
  await call(c.portal, 'material:WithdrawMaterial', { materialId: 'm-1', ownerRef: HOLDER_1, reason: 'outdated' });
  await refused(t, call(c.verifier, 'consent:UseMaterial', { grantId: g4.grantId, materialId: 'm-1', purpose: '办理营业执照变更' }), 'GRANT_INVALID', 'material withdrawn');
  await refused(t, call(c.portal, 'consent:CreateGrant', grantInput('m-1')), 'MATERIAL_STATE', 'no grant on a withdrawn material');

  // an issuer organisation can be a grantee too
  await call(c.portal, 'material:RegisterMaterial', materialInput('m-2'));
  const g5 = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-2', { grantee: AGENCY_B, maxUses: 1 }));
  const r5 = await call<Receipt>(c.issuerB, 'consent:UseMaterial', { grantId: g5.grantId, materialId: 'm-2', purpose: '办理营业执照变更' });
  t.equal(r5.granteeMsp, AGENCY_B);
});
