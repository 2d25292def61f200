/**
 * Retried requests (chaincode/requests.ts): a grant or dispute created under a `requestId` is
 * answered again — nothing written, no second record — when the same request comes again (the
 * gateway lost its answer to a crash); the same id with other content is IDEMPOTENCY_CONFLICT;
 * the id is scoped to the caller's organisation; without an id every call creates a record.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { HOLDER_1, call, consortium, grantInput, licenseInput, materialInput, query, refused, submitRaw } from './support';

const requestId = (n: string): string => createHash('sha256').update(n).digest('hex');

type Grant = { grantId: string; uses: number; caseNo: string | null };
type Dispute = { disputeId: string; status: string };

t.test('a grant: the retried request answers the first grant', async (t) => {
  const c = await consortium(t);
  await call(c.portal, 'material:RegisterMaterial', materialInput('m-r'));
  const input = grantInput('m-r', { requestId: requestId('grant-1') });
  const first = await submitRaw(c.portal, 'consent:CreateGrant', input);
  const grant = JSON.parse(Buffer.from(first.result).toString()) as Grant;
  t.equal(grant.grantId, first.transactionId, 'the grant id is the creating transaction id');

  const again = await submitRaw(c.portal, 'consent:CreateGrant', input);
  t.same(JSON.parse(Buffer.from(again.result).toString()), grant, 'the same grant');
  const tx = (await c.net.ledger.getTransaction(again.transactionId)) as { writes: unknown[]; event?: string };
  t.same(tx.writes, [], 'the retry writes nothing');
  t.equal(tx.event, undefined, 'and emits no event');
  const listed = await query<Grant[]>(c.portal, 'consent:ListGrantsByOwner', HOLDER_1);
  t.same(listed.map((g) => g.grantId), [grant.grantId], 'one grant');

  await refused(t, call(c.portal, 'consent:CreateGrant', { ...input, maxUses: 3 }), 'IDEMPOTENCY_CONFLICT', 'the same id with other content');
  await refused(t, call(c.portal, 'consent:CreateGrant', { ...input, requestId: 'not-hex' }), 'VALIDATION_FAILED');
  const other = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-r', { requestId: requestId('grant-2') }));
  t.not(other.grantId, grant.grantId, 'another request id: another grant');
  const plain = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-r'));
  const plainAgain = await call<Grant>(c.portal, 'consent:CreateGrant', grantInput('m-r'));
  t.not(plain.grantId, plainAgain.grantId, 'without a request id, each call is a new grant');
  t.equal((await query<Grant[]>(c.portal, 'consent:ListGrantsByOwner', HOLDER_1)).length, 4);
});

t.test('a dispute: the retried request answers the first dispute, per organisation', async (t) => {
  const c = await consortium(t);
  const lic = licenseInput('8800101');
  await call(c.issuerA, 'license:Issue', lic);
  const raise = { subject: { kind: 'license', id: lic.identifier }, reason: '地址有误', requestId: requestId('dispute-1') };
  const first = await call<Dispute>(c.verifier, 'dispute:Raise', raise);
  const again = await call<Dispute>(c.verifier, 'dispute:Raise', raise);
  t.equal(again.disputeId, first.disputeId, 'the same dispute');
  await refused(t, call(c.verifier, 'dispute:Raise', { ...raise, reason: '另一理由' }), 'IDEMPOTENCY_CONFLICT');
  const byPortal = await call<Dispute>(c.portal, 'dispute:Raise', raise);
  t.not(byPortal.disputeId, first.disputeId, 'the id is scoped to the caller\'s organisation');
  const submitted = await query<Dispute[]>(c.admin, 'dispute:ListDisputesByStatus', 'SUBMITTED');
  t.same(submitted.map((d) => d.disputeId).sort(), [first.disputeId, byPortal.disputeId].sort(), 'two disputes, not three');
});
