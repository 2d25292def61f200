/**
 * Disputes over real HTTP against the real embedded system: raise → accept (the license is
 * flagged) → resolve as corrected (a new version is issued and the dispute closed in one flow) or
 * confirmed; refuse, extend, lists, the holder's feed, wrong actors and states; a material
 * dispute; Idempotency-Key; and the closing transaction failing — retried in the request, then
 * kept in the outbox and finished when the gateway starts again.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { nextVersionIdentifier } from '../../domain/license-identifier';
import { LedgerUnavailableError } from '../../ledger/errors';
import type { Contract } from '../../ledger/client';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { startTestSystem, type TestSystem } from '../support/system';
import { call, citizen, company, holderQuery, ledgerEvaluate, pdfBytes, principal, upload, uploadFields, type Answer, type Holder } from './material-support';

const TYPE_A = DEMO_LICENSE_TYPES.find((type) => type.issuers.includes('AgencyAMSP'))!;
let serial = 0;

async function issueLicense(t: Test, ts: TestSystem, holder: Holder = company(7000 + ++serial)): Promise<{ identifier: string; holder: Holder }> {
  const n = `${Date.now() % 100_000}${++serial}`;
  const res = await call(ts, 'issuerA', 'POST', '/v1/licenses', {
    typeCode: TYPE_A.typeCode,
    number: `JY3${n.padStart(11, '0')}`,
    holder: { name: `上海某某餐饮有限公司${n}`, ...holder },
    issuedOn: '2025-01-02',
    validFrom: '2025-01-02',
    validUntil: '2099-12-31',
    areaCode: '310000',
    fields: { 经营场所: '上海市黄浦区某路1号', 主体业态: '餐饮服务经营者' },
  });
  if (res.status !== 201) t.fail(`issue answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { identifier: res.body.identifier as string, holder };
}

function raise(ts: TestSystem, identifier: string, holder?: Holder, who: 'portal' | 'verifier' | 'admin' = 'portal', headers: Record<string, string> = {}): Promise<Answer> {
  return call(ts, who, 'POST', '/v1/disputes', { subject: { kind: 'license', id: identifier }, reason: '经营场所地址有误', evidence: [`sm3:${'a'.repeat(64)}`], ...(holder ? { holder } : {}) }, headers);
}

async function accepted(t: Test, ts: TestSystem, identifier: string, holder?: Holder): Promise<string> {
  const raised = await raise(ts, identifier, holder);
  t.equal(raised.status, 201, JSON.stringify(raised.body));
  const disputeId = raised.body.disputeId as string;
  const ok = await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/accept`, { note: '受理' });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  return disputeId;
}

function licenseRecord(ts: TestSystem, identifier: string): Promise<{ flags: string[]; superseded: boolean; nextIdentifier: string | null; disputeId: string | null }> {
  return ledgerEvaluate(ts, 'verifier', 'license:GetLicense', identifier);
}

const CHANGES = { fields: { 经营场所: '上海市黄浦区某路2号' } };

/** Makes `dispute:Resolve` fail for `principal` while `failures()` says so. */
function failResolve(contract: Contract, failures: () => boolean): () => void {
  const original = contract.submit;
  (contract as { submit: Contract['submit'] }).submit = (name, options) =>
    name === 'dispute:Resolve' && failures() ? Promise.reject(new LedgerUnavailableError('injected: orderer unreachable')) : original.call(contract, name, options);
  return () => {
    (contract as { submit: Contract['submit'] }).submit = original;
  };
}

t.test('disputes', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());

  t.test('raise → accept (flagged) → resolve corrected: a new version, dispute closed, flag removed', async (t) => {
    const { identifier, holder } = await issueLicense(t, ts);
    const raised = await raise(ts, identifier, holder);
    t.equal(raised.status, 201);
    t.match(raised.body, { status: 'SUBMITTED', subjectKind: 'license', subjectId: identifier, raiserMsp: 'PortalMSP', holderRef: /^hr:/ });
    const disputeId = raised.body.disputeId as string;
    t.same((await licenseRecord(ts, identifier)).flags, [], 'not flagged before acceptance');

    t.equal((await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/accept`, {})).status, 403, 'only an admin accepts');
    const acc = await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/accept`, {});
    t.equal(acc.status, 200);
    t.match(acc.body, { status: 'ACCEPTED', assigneeMsp: 'AgencyAMSP', dueAt: /Z$/ });
    t.type(acc.body.txId, 'string');
    t.same((await licenseRecord(ts, identifier)).flags, [disputeId], 'flagged for every reader');
    t.equal((await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/accept`, {})).body.code, 'DISPUTE_STATE');

    const notAssignee = await call(ts, 'issuerB', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'corrected', note: '更正', changes: CHANGES });
    t.equal(notAssignee.status, 403);
    t.equal((await licenseRecord(ts, identifier)).superseded, false, 'nothing issued by a refused resolution');
    t.equal((await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'corrected', note: '更正' })).status, 400, 'a correction needs changes');

    const resolved = await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'corrected', note: '地址更正', changes: CHANGES });
    t.equal(resolved.status, 200, JSON.stringify(resolved.body));
    const next = nextVersionIdentifier(identifier);
    t.match(resolved.body, { disputeId, status: 'CORRECTED', outcome: 'corrected', newVersion: next, correction: { identifier: next, version: 2 } });
    t.type(resolved.body.blockNumber, 'number');
    const old = await licenseRecord(ts, identifier);
    t.equal(old.superseded, true);
    t.equal(old.nextIdentifier, next);
    t.same(old.flags, [], 'flag removed');
    t.equal((await licenseRecord(ts, next)).disputeId, disputeId, 'the new version names the dispute it corrects');
    t.same(await ts.system.gateway.lc.resolutions.list(), [], 'nothing left pending');

    const feed = await call(ts, 'portal', 'GET', `/v1/holders/disputes?${holderQuery(holder)}`);
    t.match(feed.body, [{ disputeId, status: 'CORRECTED', newVersion: next }], 'the raiser sees the outcome in the holder feed');
    t.equal((await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'confirmed', note: 'again' })).body.code, 'DISPUTE_STATE');
  });

  t.test('resolve confirmed: flag removed, license unchanged', async (t) => {
    const { identifier } = await issueLicense(t, ts);
    const disputeId = await accepted(t, ts, identifier);
    t.equal((await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'confirmed', note: '核实无误', changes: CHANGES })).status, 400, 'no changes when confirming');
    const res = await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'confirmed', note: '核实无误' });
    t.equal(res.status, 200);
    t.match(res.body, { status: 'CONFIRMED', note: '核实无误', newVersion: null });
    const record = await licenseRecord(ts, identifier);
    t.same(record.flags, []);
    t.equal(record.superseded, false);
  });

  t.test('refuse, extend, wrong actors', async (t) => {
    const { identifier, holder } = await issueLicense(t, ts);
    t.equal((await raise(ts, identifier, holder, 'verifier')).status, 403, 'only the portal or an admin raises for a holder');
    t.equal((await call(ts, 'issuerA', 'POST', '/v1/disputes', { subject: { kind: 'license', id: identifier }, reason: 'x' })).status, 403, 'an issuer does not raise');
    t.equal((await call(ts, 'portal', 'POST', '/v1/disputes', { subject: { kind: 'license', id: identifier } })).status, 400, 'reason required');
    t.equal((await call(ts, 'portal', 'POST', '/v1/disputes', { subject: { kind: 'seal', id: identifier }, reason: 'x' })).status, 400);
    t.equal((await call(ts, 'portal', 'POST', '/v1/disputes', { subject: { kind: 'material', id: 'mat-none' }, reason: 'x' })).body.code, 'NOT_FOUND');

    const byVerifier = await raise(ts, identifier, undefined, 'verifier');
    t.equal(byVerifier.status, 201, 'a relying agency raises without a holder');
    const refused = await call(ts, 'admin', 'POST', `/v1/disputes/${byVerifier.body.disputeId}/refuse`, { reason: '非本系统数据' });
    t.match(refused.body, { status: 'REFUSED', note: '非本系统数据' });
    t.equal((await call(ts, 'admin', 'POST', `/v1/disputes/${byVerifier.body.disputeId}/extend`, { reason: 'x' })).body.code, 'DISPUTE_STATE');

    const disputeId = await accepted(t, ts, identifier);
    const before = (await call(ts, 'admin', 'GET', `/v1/disputes/${disputeId}`)).body;
    t.equal((await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/extend`, { reason: '需现场核查' })).status, 403);
    const extended = await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/extend`, { reason: '需现场核查' });
    t.equal(extended.status, 200);
    t.equal(extended.body.extended, true);
    t.ok(Date.parse(extended.body.dueAt as string) > Date.parse(before.dueAt as string), 'due time moved');
    t.equal((await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/extend`, { reason: 'again' })).body.code, 'DISPUTE_STATE', 'once only');
    t.equal((await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/accept`, { extra: 1 })).status, 400, 'unknown fields refused');
    t.equal((await call(ts, 'admin', 'GET', '/v1/disputes/no-such')).body.code, 'NOT_FOUND');
    t.equal((await call(ts, 'issuerB', 'GET', `/v1/disputes/${disputeId}`)).status, 403, 'another issuer does not read it');
  });

  t.test('lists', async (t) => {
    const { identifier } = await issueLicense(t, ts);
    const disputeId = await accepted(t, ts, identifier);
    const byStatus = await call(ts, 'admin', 'GET', '/v1/disputes?status=ACCEPTED');
    t.equal(byStatus.status, 200);
    t.ok((byStatus.body as unknown as Array<{ disputeId: string }>).some((d) => d.disputeId === disputeId));
    const all = await call(ts, 'auditor', 'GET', '/v1/disputes');
    t.ok((all.body as unknown as Array<{ status: string }>).some((d) => d.status === 'CORRECTED'), 'all statuses');
    t.same((await call(ts, 'admin', 'GET', '/v1/disputes?overdue=true')).body, [], 'nothing overdue yet');
    const assigned = await call(ts, 'issuerA', 'GET', '/v1/disputes?status=ACCEPTED');
    t.ok((assigned.body as unknown as Array<{ assigneeMsp: string }>).every((d) => d.assigneeMsp === 'AgencyAMSP'));
    t.ok((assigned.body as unknown as Array<{ disputeId: string }>).some((d) => d.disputeId === disputeId), 'an issuer lists what is assigned to it');
    t.same((await call(ts, 'issuerB', 'GET', '/v1/disputes')).body, [], 'not another issuer\'s');
    t.equal((await call(ts, 'verifier', 'GET', '/v1/disputes')).status, 403);
    t.equal((await call(ts, 'admin', 'GET', '/v1/disputes?status=OPEN')).status, 400);
    t.equal((await call(ts, 'admin', 'GET', '/v1/disputes?overdue=yes')).status, 400);
  });

  t.test('a material dispute corrected: the custodian withdraws it', async (t) => {
    const holder = citizen(31);
    const m = await upload(ts, 'portal', uploadFields(holder), { data: pdfBytes() });
    const raised = await call(ts, 'portal', 'POST', '/v1/disputes', { subject: { kind: 'material', id: m.body.materialId }, reason: '材料有误', holder });
    t.equal(raised.status, 201);
    const disputeId = raised.body.disputeId as string;
    const acc = await call(ts, 'admin', 'POST', `/v1/disputes/${disputeId}/accept`, {});
    t.equal(acc.body.assigneeMsp, 'PortalMSP', 'routed to the custodian');
    t.same((await call(ts, 'verifier', 'GET', `/v1/materials/${m.body.materialId}`)).body.flags, [disputeId], 'the material is flagged');
    const replacement = await upload(ts, 'portal', uploadFields(holder), { data: pdfBytes() });
    const res = await call(ts, 'portal', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'corrected', note: '已更换材料', replacement: replacement.body.materialId });
    t.equal(res.status, 200, JSON.stringify(res.body));
    t.match(res.body, { status: 'CORRECTED', newVersion: replacement.body.materialId });
    const material = await call(ts, 'portal', 'GET', `/v1/materials/${m.body.materialId}`);
    t.match(material.body, { status: 'WITHDRAWN', flags: [] });
  });

  t.test('Idempotency-Key on raising', async (t) => {
    const { identifier, holder } = await issueLicense(t, ts);
    const key = { 'idempotency-key': `raise-${Date.now()}` };
    const first = await raise(ts, identifier, holder, 'portal', key);
    const replay = await raise(ts, identifier, holder, 'portal', key);
    t.equal(replay.status, 201);
    t.equal(replay.headers.get('idempotent-replayed'), 'true');
    t.equal(replay.body.disputeId, first.body.disputeId, 'one dispute');
    const other = await raise(ts, identifier, undefined, 'portal', key);
    t.equal(other.body.code, 'IDEMPOTENCY_CONFLICT');
  });

  t.test('the closing transaction fails once: retried within the request', async (t) => {
    const { identifier } = await issueLicense(t, ts);
    const disputeId = await accepted(t, ts, identifier);
    let failures = 1;
    const restore = failResolve(principal(ts, 'issuerA').contract, () => failures-- > 0);
    t.teardown(restore);
    const res = await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'corrected', note: '更正', changes: CHANGES });
    t.equal(res.status, 200, JSON.stringify(res.body));
    t.equal(res.body.status, 'CORRECTED');
    t.equal(failures, -1, 'the first attempt failed, the second closed it');
    t.same(await ts.system.gateway.lc.resolutions.list(), []);
  });
});

t.test('the closing transaction keeps failing: pending, kept durably, finished at the next start', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-disputes-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  let ts = await startTestSystem({ dataDir });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await ts.close();
  });
  const { identifier } = await issueLicense(t, ts);
  const disputeId = await accepted(t, ts, identifier);
  failResolve(principal(ts, 'issuerA').contract, () => true);

  const res = await call(ts, 'issuerA', 'POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'corrected', note: '更正', changes: CHANGES });
  t.equal(res.status, 202, JSON.stringify(res.body));
  t.match(res.body, { disputeId, resolution: 'PENDING', correction: { identifier: nextVersionIdentifier(identifier) } });
  t.equal((await licenseRecord(ts, identifier)).superseded, true, 'the corrected version is on the ledger');
  t.equal((await call(ts, 'admin', 'GET', `/v1/disputes/${disputeId}`)).body.status, 'ACCEPTED', 'its dispute not closed yet');
  t.match(await ts.system.gateway.lc.resolutions.list(), [{ disputeId, principal: 'issuerA', input: { newVersion: nextVersionIdentifier(identifier) } }]);

  await ts.close();
  closed = true;
  ts = await startTestSystem({ dataDir });
  closed = false;
  let status = '';
  for (let i = 0; i < 100 && status !== 'CORRECTED'; i++) {
    status = (await call(ts, 'admin', 'GET', `/v1/disputes/${disputeId}`)).body.status as string;
    if (status !== 'CORRECTED') await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal(status, 'CORRECTED', 'closed from the outbox at start');
  t.same((await licenseRecord(ts, identifier)).flags, []);
  t.same(await ts.system.gateway.lc.resolutions.list(), [], 'outbox empty');
  await ts.close();
  closed = true;
});
