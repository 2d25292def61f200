import t from 'tap';
import { nextVersionIdentifier } from '../../domain/license-identifier';
import {
  AGENCY_A,
  HOLDER_1,
  PORTAL,
  call,
  consortium,
  digest,
  licenseInput,
  materialInput,
  query,
  queryAt,
  refused,
  submitAt,
} from './support';

type Dispute = {
  disputeId: string;
  status: string;
  assigneeMsp: string | null;
  acceptedAt: string | null;
  dueAt: string | null;
  extended: boolean;
  holderRef: string | null;
  outcome: string | null;
  newVersion: string | null;
};
type Flagged = { flags: string[] };

t.test('license dispute: raise → accept (flag, assignee, due) → extend → corrected by a new version', async (t) => {
  const c = await consortium(t);
  const lic = licenseInput('8800001');
  const id = lic.identifier as string;
  await call(c.issuerA, 'license:Issue', lic);
  await refused(t, call(c.issuerA, 'dispute:Raise', { subject: { kind: 'license', id }, reason: 'x' }), 'FORBIDDEN', 'issuers do not raise');
  await refused(t, call(c.verifier, 'dispute:Raise', { subject: { kind: 'license', id }, reason: 'x', holderRef: HOLDER_1 }), 'FORBIDDEN', 'only the portal raises for a holder');
  await refused(t, call(c.portal, 'dispute:Raise', { subject: { kind: 'license', id: nextVersionIdentifier(id) }, reason: 'x' }), 'NOT_FOUND', 'no such license');
  await refused(t, call(c.portal, 'dispute:Raise', { subject: { kind: 'license', id: 'nope' }, reason: 'x' }), 'INVALID_IDENTIFIER');
  await refused(t, call(c.portal, 'dispute:Raise', { subject: { kind: 'seal', id }, reason: 'x' }), 'VALIDATION_FAILED');

  const raised = await call<Dispute>(c.portal, 'dispute:Raise', {
    subject: { kind: 'license', id },
    reason: 'the address on the license is wrong',
    evidence: [digest('photo')],
    holderRef: HOLDER_1,
  });
  t.match(raised, { status: 'SUBMITTED', assigneeMsp: null, holderRef: HOLDER_1 });
  t.same((await query<Flagged>(c.verifier, 'license:GetLicense', id)).flags, [], 'not flagged before acceptance');
  await refused(t, call(c.issuerA, 'dispute:Accept', { disputeId: raised.disputeId }), 'FORBIDDEN', 'only an admin accepts');
  await refused(t, call(c.admin, 'dispute:Extend', { disputeId: raised.disputeId, reason: 'x' }), 'DISPUTE_STATE', 'extend before acceptance');
  await refused(t, call(c.issuerA, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'confirmed', note: 'x' }), 'FORBIDDEN', 'not assigned to anyone yet');

  const accepted = await call<Dispute>(c.admin, 'dispute:Accept', { disputeId: raised.disputeId, note: 'routed' });
  t.match(accepted, { status: 'ACCEPTED', assigneeMsp: AGENCY_A, extended: false });
  t.same((await query<Flagged>(c.verifier, 'license:GetLicense', id)).flags, [raised.disputeId], 'flagged on every read');
  t.same((await query<Flagged>(c.auditor, 'license:GetLicense', id)).flags, [raised.disputeId]);
  await refused(t, call(c.admin, 'dispute:Accept', { disputeId: raised.disputeId }), 'DISPUTE_STATE', 'accepted twice');
  await refused(t, call(c.admin, 'dispute:Refuse', { disputeId: raised.disputeId, reason: 'x' }), 'DISPUTE_STATE', 'refuse after acceptance');
  const extended = await call<Dispute>(c.admin, 'dispute:Extend', { disputeId: raised.disputeId, reason: 'needs field check' });
  t.equal(extended.extended, true);
  t.ok(Date.parse(extended.dueAt as string) > Date.parse(accepted.dueAt as string), 'due later');
  await refused(t, call(c.admin, 'dispute:Extend', { disputeId: raised.disputeId, reason: 'again' }), 'DISPUTE_STATE', 'only one extension');

  await refused(t, call(c.issuerB, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'confirmed', note: 'x' }), 'FORBIDDEN', 'not the assignee');
  await refused(t, call(c.issuerA, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'corrected' }), 'VALIDATION_FAILED', 'corrected names the new version');
  const id2 = nextVersionIdentifier(id);
  await refused(t, call(c.issuerA, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'corrected', newVersion: id2 }), 'LICENSE_STATE', 'the new version must supersede the subject');
  await refused(t, call(c.issuerA, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'confirmed' }), 'VALIDATION_FAILED', 'confirmed needs reasons');
  const corrected = await call<{ disputeId: string }>(c.issuerA, 'license:NewVersion', {
    previous: id,
    identifier: id2,
    operation: 'correct',
    reason: 'address corrected after dispute',
    sealId: c.sealA,
    docDigest: digest('v2'),
    validFrom: '2025-01-01',
    validUntil: '2030-12-31',
    disputeId: raised.disputeId,
  });
  t.equal(corrected.disputeId, raised.disputeId, 'the correction names its dispute');
  const resolved = await call<Dispute>(c.issuerA, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'corrected', newVersion: id2, note: 'corrected' });
  t.match(resolved, { status: 'CORRECTED', outcome: 'corrected', newVersion: id2 });
  t.same((await query<Flagged>(c.verifier, 'license:GetLicense', id)).flags, [], 'flag removed');
  await refused(t, call(c.issuerA, 'dispute:Resolve', { disputeId: raised.disputeId, outcome: 'confirmed', note: 'x' }), 'DISPUTE_STATE', 'resolved twice');
  await refused(t, call(c.issuerA, 'license:NewVersion', {
    previous: id2, identifier: nextVersionIdentifier(id2), operation: 'correct', reason: 'r', sealId: c.sealA, docDigest: digest('v3'), validFrom: '2025-01-01', validUntil: null, disputeId: raised.disputeId,
  }), 'VALIDATION_FAILED', 'a correction names a dispute about its previous version');

  t.same((await query<Dispute[]>(c.portal, 'dispute:ListDisputesByHolder', HOLDER_1)).map((d) => d.status), ['CORRECTED'], 'the holder\'s feed');
  t.same((await query<Dispute[]>(c.issuerA, 'dispute:ListDisputesByAssignee', AGENCY_A)).map((d) => d.disputeId), [raised.disputeId]);
  await refused(t, query(c.issuerB, 'dispute:ListDisputesByAssignee', AGENCY_A), 'FORBIDDEN');
  t.equal((await query<Dispute[]>(c.auditor, 'dispute:ListDisputesByStatus', 'CORRECTED')).length, 1);
  t.equal((await query<Dispute[]>(c.auditor, 'dispute:ListDisputesByStatus', 'ACCEPTED')).length, 0, 'the status index moved');
  t.equal((await query<Dispute>(c.auditor, 'dispute:GetDispute', raised.disputeId)).holderRef, null, 'auditors see no holder');
  await refused(t, query(c.verifier, 'dispute:GetDispute', raised.disputeId), 'FORBIDDEN', 'an unrelated verifier');
});

t.test('material dispute confirmed; refused intake; named assignee', async (t) => {
  const c = await consortium(t);
  await call(c.portal, 'material:RegisterMaterial', materialInput('m-1'));
  const d = await call<Dispute>(c.verifier, 'dispute:Raise', { subject: { kind: 'material', id: 'm-1' }, reason: 'unreadable scan' });
  t.equal((await query<Dispute>(c.verifier, 'dispute:GetDispute', d.disputeId)).status, 'SUBMITTED', 'the raiser reads its dispute');
  const a = await call<Dispute>(c.admin, 'dispute:Accept', { disputeId: d.disputeId });
  t.equal(a.assigneeMsp, PORTAL, 'the custodian by default');
  t.same((await query<Flagged>(c.verifier, 'material:GetMaterial', 'm-1')).flags, [d.disputeId]);
  await refused(t, call(c.portal, 'dispute:Resolve', { disputeId: d.disputeId, outcome: 'corrected' }), 'MATERIAL_STATE', 'corrected material must be withdrawn first');
  const done = await call<Dispute>(c.portal, 'dispute:Resolve', { disputeId: d.disputeId, outcome: 'confirmed', note: 'scan is legible at 300 dpi' });
  t.equal(done.status, 'CONFIRMED');
  t.same((await query<Flagged>(c.verifier, 'material:GetMaterial', 'm-1')).flags, []);

  const d2 = await call<Dispute>(c.portal, 'dispute:Raise', { subject: { kind: 'material', id: 'm-1' }, reason: 'duplicate' });
  const r = await call<Dispute>(c.admin, 'dispute:Refuse', { disputeId: d2.disputeId, reason: 'not a data error' });
  t.equal(r.status, 'REFUSED');
  await refused(t, call(c.admin, 'dispute:Accept', { disputeId: d2.disputeId }), 'DISPUTE_STATE', 'accept after refusal');

  const d3 = await call<Dispute>(c.admin, 'dispute:Raise', { subject: { kind: 'material', id: 'm-1' }, reason: 'wrong owner' });
  await refused(t, call(c.admin, 'dispute:Accept', { disputeId: d3.disputeId, assignee: 'NobodyMSP' }), 'NOT_FOUND');
  const a3 = await call<Dispute>(c.admin, 'dispute:Accept', { disputeId: d3.disputeId, assignee: AGENCY_A });
  t.equal(a3.assigneeMsp, AGENCY_A, 'a named assignee');
  await call(c.portal, 'material:RegisterMaterial', materialInput('m-2'));
  await call(c.portal, 'material:WithdrawMaterial', { materialId: 'm-1', ownerRef: HOLDER_1, reason: 'replaced' });
  const fixed = await call<Dispute>(c.issuerA, 'dispute:Resolve', { disputeId: d3.disputeId, outcome: 'corrected', newVersion: 'm-2', note: 'replaced' });
  t.match(fixed, { status: 'CORRECTED', newVersion: 'm-2' });
  await refused(t, query(c.admin, 'dispute:GetDispute', 'nope'), 'NOT_FOUND');
  await refused(t, query(c.admin, 'dispute:ListDisputesByStatus', 'OPEN'), 'VALIDATION_FAILED');
});

t.test('due times: 5 (then 10) working days in UTC+8, weekends skipped; overdue by the query\'s tx time', async (t) => {
  const c = await consortium(t);
  await call(c.portal, 'material:RegisterMaterial', materialInput('m-1'));
  // [accepted at, due after 5 working days, due after 10]
  const cases: Array<[string, string, string, string]> = [
    ['Friday 15:00 (UTC+8)', '2025-03-07T07:00:00.000Z', '2025-03-14T07:00:00.000Z', '2025-03-21T07:00:00.000Z'],
    ['Monday 09:00', '2025-03-10T01:00:00.000Z', '2025-03-17T01:00:00.000Z', '2025-03-24T01:00:00.000Z'],
    ['Saturday 10:00', '2025-03-08T02:00:00.000Z', '2025-03-14T02:00:00.000Z', '2025-03-21T02:00:00.000Z'],
    ['Sunday 20:00 UTC = Monday 04:00 UTC+8', '2025-03-09T20:00:00.000Z', '2025-03-16T20:00:00.000Z', '2025-03-23T20:00:00.000Z'],
    ['Friday 23:30 UTC+8 (still Friday in China, Friday 15:30 UTC)', '2025-03-07T15:30:00.000Z', '2025-03-14T15:30:00.000Z', '2025-03-21T15:30:00.000Z'],
    ['across a month and year end: Wednesday 2025-12-31 12:00', '2025-12-31T04:00:00.000Z', '2026-01-07T04:00:00.000Z', '2026-01-14T04:00:00.000Z'],
  ];
  const ids: string[] = [];
  for (const [name, at, due5, due10] of cases) {
    const raisedAt = new Date(Date.parse(at) - 3_600_000);
    const d = await submitAt<Dispute>(c.net, c.portal, raisedAt, 'dispute:Raise', { subject: { kind: 'material', id: 'm-1' }, reason: name });
    const a = await submitAt<Dispute>(c.net, c.admin, new Date(at), 'dispute:Accept', { disputeId: d.disputeId });
    t.equal(a.acceptedAt, at, `${name}: accepted at the tx time`);
    t.equal(a.dueAt, due5, `${name}: due after 5 working days`);
    const e = await submitAt<Dispute>(c.net, c.admin, new Date(Date.parse(at) + 60_000), 'dispute:Extend', { disputeId: d.disputeId, reason: 'extension' });
    t.equal(e.dueAt, due10, `${name}: 10 working days from acceptance after the extension`);
    ids.push(d.disputeId);
  }
  // Overdue relative to the query's own timestamp.
  const d = await submitAt<Dispute>(c.net, c.portal, new Date('2025-03-07T06:00:00Z'), 'dispute:Raise', { subject: { kind: 'material', id: 'm-1' }, reason: 'overdue check' });
  await submitAt(c.net, c.admin, new Date('2025-03-07T07:00:00Z'), 'dispute:Accept', { disputeId: d.disputeId });
  const overdueAt = async (iso: string): Promise<string[]> =>
    (await queryAt<Dispute[]>(c.net, c.admin, new Date(iso), 'dispute:ListOverdueDisputes')).map((x) => x.disputeId);
  t.notOk((await overdueAt('2025-03-14T06:59:59Z')).includes(d.disputeId), 'not overdue a second before the due time');
  t.ok((await overdueAt('2025-03-14T07:00:01Z')).includes(d.disputeId), 'overdue a second after');
  t.notOk((await overdueAt('2025-03-14T07:00:01Z')).includes(ids[0] as string), 'the extended one is not');
  t.ok((await overdueAt('2025-03-21T07:00:01Z')).includes(ids[0] as string), 'until its extended due time');
  await submitAt(c.net, c.portal, new Date('2025-03-15T00:00:00Z'), 'dispute:Resolve', { disputeId: d.disputeId, outcome: 'confirmed', note: 'late but fine' });
  t.notOk((await overdueAt('2025-03-20T00:00:00Z')).includes(d.disputeId), 'a resolved dispute is never overdue');
  await refused(t, query(c.portal, 'dispute:ListOverdueDisputes'), 'FORBIDDEN');
});
