/**
 * The README's nine flows, end to end on one consortium, as the services would drive them —
 * plus the events they leave behind (one per transaction, ids only).
 */
import t from 'tap';
import { nextVersionIdentifier } from '../../domain/license-identifier';
import { MerkleTree } from '../../domain/merkle';
import type { ChaincodeEvent } from '../../ledger/client';
import {
  AGENCY_A,
  HOLDER_1,
  PORTAL,
  TYPE_CODE,
  VERIFIER,
  call,
  consortium,
  digest,
  grantInput,
  licenseInput,
  materialInput,
  query,
  sealInput,
} from './support';

type License = { identifier: string; docDigest: string; status: string; superseded: boolean; nextIdentifier: string | null; validFrom: string; validUntil: string | null; issuerMsp: string; typeCode: string; sealId: string; issuedAt: string; flags: string[]; lastChange: { actorId: string } };

t.test('the nine flows', async (t) => {
  const c = await consortium(t);
  const startBlock = c.net.ledger.height;
  const events = await c.verifier.gateway.getChaincodeEvents({ startBlock });
  const seen: ChaincodeEvent[] = [];
  const collecting = (async () => {
    for await (const e of events) seen.push(e);
  })();
  const expectEvents: string[] = [];
  const submit = async <T>(client: typeof c.admin, name: string, event: string | null, ...args: unknown[]): Promise<T> => {
    const result = await call<T>(client, name, ...args);
    if (event) expectEvents.push(event);
    return result;
  };

  // 9. Seals: apply → approve (备案) → authorise a signer
  const signer = await c.net.client(AGENCY_A, { name: 'licensing-desk', role: 'issuer' });
  await submit(c.issuerA, 'seal:Apply', 'SealApplied', sealInput('seal-a-desk'));
  await submit(c.admin, 'seal:Approve', 'SealApproved', 'seal-a-desk');
  await submit(c.issuerA, 'seal:Authorize', 'SealAuthorized', {
    sealId: 'seal-a-desk',
    subject: c.net.identityId(signer),
    notBefore: new Date(Date.now() - 60_000).toISOString(),
    notAfter: new Date(Date.now() + 86_400_000).toISOString(),
  });

  // 1. Issue, and 4. verify each check from the ledger's answers
  const doc = licenseInput('2430599', { sealId: 'seal-a-desk' });
  const issued = await signer.submit('license:Issue', { arguments: [JSON.stringify(doc)] });
  expectEvents.push('LicenseIssued');
  t.ok(issued.blockNumber > 0 && /^[0-9a-f]{64}$/.test(issued.transactionId), 'answered with tx id and block number');
  const rec = await query<License>(c.verifier, 'license:GetLicense', doc.identifier as string);
  t.equal(rec.docDigest, doc.docDigest, 'integrity: the digest on the ledger');
  t.ok(rec.status === '01' && !rec.superseded, 'status: 01, not superseded');
  t.ok(rec.validFrom <= '2025-06-01' && (rec.validUntil === null || '2025-06-01' <= rec.validUntil), 'validity');
  const type = await query<{ issuers: string[] }>(c.verifier, 'registry:GetLicenseType', rec.typeCode);
  t.ok(type.issuers.includes(rec.issuerMsp), 'issuer: authorised for the type');
  const sealAtSigning = await query<{ active: boolean; authorized: boolean }>(c.verifier, 'seal:CheckSeal', rec.sealId, rec.lastChange.actorId, rec.issuedAt);
  t.match(sealAtSigning, { active: true, authorized: true }, 'seal: active and signer authorised at signing time');
  t.same(rec.flags, [], 'dispute: no flag');

  // 2. Bulk collection: one root over the batch, chunks recorded concurrently after the first
  const batch = Array.from({ length: 9 }, (_, i) => licenseInput(String(7_000_000 + i)));
  const tree = new MerkleTree(batch.map((b) => b.docDigest as string));
  const chunk = (from: number, to: number): Record<string, unknown> => ({
    batchId: 'hist-2019',
    root: tree.root,
    size: tree.size,
    sealId: c.sealA,
    licenses: batch.slice(from, to).map((b, k) => {
      const { sealId: _s, ...rest } = b;
      return { ...rest, proof: tree.proof(from + k) };
    }),
  });
  await submit(c.issuerA, 'license:IssueBatch', 'LicenseBatchIssued', chunk(0, 3));
  await Promise.all([call(c.issuerA, 'license:IssueBatch', chunk(3, 6)), call(c.issuerA, 'license:IssueBatch', chunk(6, 9))]);
  expectEvents.push('LicenseBatchIssued', 'LicenseBatchIssued');
  t.match(await query(c.issuerA, 'license:GetBatch', AGENCY_A, 'hist-2019'), { recorded: 9, complete: true });

  // 3. Lifecycle: suspend, resume, renew (new version, old superseded)
  const id1 = doc.identifier as string;
  await submit(c.issuerA, 'license:ChangeStatus', 'LicenseStatusChanged', { identifier: id1, action: 'suspend', reason: '暂扣' });
  t.equal((await query<License>(c.verifier, 'license:GetLicense', id1)).status, '02', 'a verifier sees the suspension');
  await submit(c.issuerA, 'license:ChangeStatus', 'LicenseStatusChanged', { identifier: id1, action: 'resume', reason: '暂扣发还' });
  const id2 = nextVersionIdentifier(id1);
  await submit(c.issuerA, 'license:NewVersion', 'LicenseVersioned', {
    previous: id1, identifier: id2, operation: 'renew', reason: '延续', sealId: c.sealA, docDigest: digest('renewed'), validFrom: '2031-01-01', validUntil: '2035-12-31',
  });
  t.match(await query<License>(c.verifier, 'license:GetLicense', id1), { superseded: true, nextIdentifier: id2 }, 'verification of the old version fails as superseded');

  // 5. Register a material (dedupe), 6. consent, 7. reuse with receipt and one delivery
  await submit(c.portal, 'material:RegisterMaterial', 'MaterialRegistered', materialInput('mat-1'));
  const again = await call<{ created: boolean }>(c.portal, 'material:RegisterMaterial', materialInput('mat-1-again', { digest: digest('bytes-mat-1') }));
  t.equal(again.created, false, 'the same bytes of the same owner are one material');
  const grant = await submit<{ grantId: string }>(c.portal, 'consent:CreateGrant', 'GrantCreated', grantInput('mat-1', { maxUses: 1 }));
  const receipt = await submit<{ receiptId: string; digest: string; granteeMsp: string; custodianMsp: string }>(
    c.verifier, 'consent:UseMaterial', 'MaterialUsed', { grantId: grant.grantId, materialId: 'mat-1', purpose: '办理营业执照变更' },
  );
  t.match(receipt, { granteeMsp: VERIFIER, custodianMsp: PORTAL, digest: digest('bytes-mat-1') });
  const delivery = await submit<{ delivered: boolean }>(c.portal, 'consent:RecordDelivery', 'ReceiptDelivered', receipt.receiptId);
  t.equal(delivery.delivered, true, 'the custodian streams once per receipt');
  const feed = await query<Array<{ receiptId: string; purpose: string }>>(c.portal, 'consent:ListReceiptsByOwner', HOLDER_1);
  t.same(feed.map((r) => r.receiptId), [receipt.receiptId], 'the holder sees every receipt');
  const g2 = await submit<{ grantId: string }>(c.portal, 'consent:CreateGrant', 'GrantCreated', grantInput('mat-1'));
  await submit(c.portal, 'consent:RevokeGrant', 'GrantRevoked', { grantId: g2.grantId, ownerRef: HOLDER_1 });

  // 8. Dispute: raise (portal, for the holder) → accept (flag) → corrected by a new version → closed
  const d = await submit<{ disputeId: string }>(c.portal, 'dispute:Raise', 'DisputeRaised', { subject: { kind: 'license', id: id2 }, reason: '经营范围有误', holderRef: HOLDER_1, evidence: [digest('scan')] });
  await submit(c.admin, 'dispute:Accept', 'DisputeAccepted', { disputeId: d.disputeId });
  t.same((await query<License>(c.verifier, 'license:GetLicense', id2)).flags, [d.disputeId], 'every verification shows the flag');
  await submit(c.admin, 'dispute:Extend', 'DisputeExtended', { disputeId: d.disputeId, reason: '需现场核实' });
  const id3 = nextVersionIdentifier(id2);
  await submit(c.issuerA, 'license:NewVersion', 'LicenseVersioned', {
    previous: id2, identifier: id3, operation: 'correct', reason: '更正经营范围', sealId: c.sealA, docDigest: digest('corrected'), validFrom: '2031-01-01', validUntil: '2035-12-31', disputeId: d.disputeId,
  });
  await submit(c.issuerA, 'dispute:Resolve', 'DisputeResolved', { disputeId: d.disputeId, outcome: 'corrected', newVersion: id3, note: '已更正' });
  t.same((await query<License>(c.verifier, 'license:GetLicense', id2)).flags, [], 'flag removed');
  t.same((await query<Array<{ status: string }>>(c.portal, 'dispute:ListDisputesByHolder', HOLDER_1)).map((x) => x.status), ['CORRECTED'], 'the raiser is told through the holder\'s feed');
  t.same(await query(c.admin, 'dispute:ListOverdueDisputes'), []);

  // 9 (cont.). Suspend the seal: signatures made before stay judged at signing time
  await submit(c.issuerA, 'seal:ChangeStatus', 'SealStatusChanged', { sealId: 'seal-a-desk', action: 'suspend', reason: 'token lost' });
  t.match(await query(c.verifier, 'seal:CheckSeal', 'seal-a-desk', rec.lastChange.actorId, rec.issuedAt), { active: true, authorized: true }, 'at signing time: valid');
  t.match(await query(c.verifier, 'seal:CheckSeal', 'seal-a-desk', rec.lastChange.actorId, new Date().toISOString()), { active: false }, 'now: suspended');
  await submit(c.issuerA, 'seal:RevokeAuthorization', 'SealAuthorizationRevoked', { sealId: 'seal-a-desk', subject: rec.lastChange.actorId, reason: 'moved' });
  await submit(c.issuerA, 'material:WithdrawMaterial', null, { materialId: 'mat-1', reason: 'x' }).catch(() => undefined);
  await submit(c.portal, 'material:WithdrawMaterial', 'MaterialWithdrawn', { materialId: 'mat-1', ownerRef: HOLDER_1, reason: 'replaced' });
  const lastType = await submit(c.admin, 'registry:UpdateLicenseType', 'LicenseTypeUpdated', {
    typeCode: TYPE_CODE, name: 'Business licence', definerCode: TYPE_CODE.slice(0, 18), holderCodeTypes: ['001', '111'], issuers: [AGENCY_A], fieldsSchemaDigest: digest('{"type":"object"}'),
  });
  t.ok(lastType);

  // Events: exactly one per state-changing transaction, in commit order, ids only.
  const deadline = Date.now() + 60_000; // generous: the event stream may lag on a loaded machine
  while (seen.length < expectEvents.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  events.close();
  await collecting.catch(() => undefined);
  const names = seen.map((e) => e.eventName);
  t.same([...names].sort(), [...expectEvents].sort(), 'one event per state change');
  t.equal(new Set(seen.map((e) => e.transactionId)).size, seen.length, 'at most one event per transaction');
  for (const e of seen) {
    const text = Buffer.from(e.payload).toString('utf8');
    const payload = JSON.parse(text) as Record<string, unknown>;
    t.notMatch(text, /hr:[0-9a-f]{64}/, `${e.eventName}: no holder reference`);
    t.ok(Object.keys(payload).length <= 6, `${e.eventName}: small payload`);
  }
});
