/**
 * Seal routes and the seal keyring over real HTTP: the demo seals, apply → approve → authorise →
 * suspend / resume / cancel, seals the gateway holds (generated keys, GB/T 38540 and PKCS#7) or
 * does not (external signer certificates), issuance picking an usable seal, and a restart.
 */
import '../support/quiet';
import { mkdtempSync, rmSync, statSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { canonicalBytes } from '../../domain/canonical-json';
import { usccCheckCharacter } from '../../domain/holder-code';
import type { SealedLicense } from '../../domain/license-document';
import { loadSealTrustRoots } from '../../gateway/seal-keyring';
import { createRootCa, issueCertificate, toPem, verifySealSignature } from '../../seal';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { demoSealId, sealPicturePng } from '../../system/demo-seals';
import { startTestSystem, type DemoPrincipalName, type TestSystem } from '../support/system';

const DAY = 86_400_000;
let counter = 0;

function licenseA(): Record<string, unknown> {
  const body = `91310000MA3C${String(++counter).padStart(5, '0')}`;
  return {
    typeCode: DEMO_LICENSE_TYPES[0]!.typeCode,
    number: `沪食经印章${counter}`,
    holder: { name: '某某公司', codeType: '001', code: `${body}${usccCheckCharacter(body)}` },
    issuedOn: '2025-01-01',
    validFrom: '2025-01-01',
    validUntil: null,
    areaCode: '310000',
    fields: { 经营场所: '上海', 主体业态: '食品销售经营者' },
  };
}

function licenseB(): Record<string, unknown> {
  return {
    typeCode: DEMO_LICENSE_TYPES[1]!.typeCode,
    number: `建安印章${++counter}`,
    holder: { name: '张三', codeType: '111', code: '11010519491231002X' },
    issuedOn: '2025-01-01',
    validFrom: '2025-01-01',
    validUntil: '2031-01-01',
    areaCode: '310000',
    fields: { 操作类别: '建筑电工' },
  };
}

function application(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: '上海市住房和城乡建设管理委员会行政审批专用章',
    kind: '业务专用章',
    format: 'GBT38540',
    validStart: new Date(Date.now() - 60_000).toISOString(),
    validEnd: new Date(Date.now() + 365 * DAY).toISOString(),
    picture: Buffer.from(sealPicturePng(64)).toString('base64'),
    ...overrides,
  };
}

function identityOf(ts: TestSystem, name: DemoPrincipalName): string {
  return ts.system.principals.principals.find((p) => p.name === name)!.identityId;
}

async function checkDemoSeals(t: Test, ts: TestSystem): Promise<void> {
  for (const [msp, issuer] of [['AgencyAMSP', 'issuerA'], ['AgencyBMSP', 'issuerB']] as const) {
    const { status, body } = await ts.request('GET', `/v1/seals?owner=${msp}`, { as: 'verifier' });
    t.equal(status, 200);
    t.equal(body.length, 1);
    t.match(body[0], { sealId: demoSealId(msp), ownerMsp: msp, status: 'ACTIVE', format: 'GBT38540' });
    const seal = await ts.request('GET', `/v1/seals/${demoSealId(msp)}`, { as: 'auditor' });
    t.equal(seal.body.heldByGateway, true);
    const auths = await ts.system.principals.principals.find((p) => p.name === issuer)!.contract.evaluate('seal:ListAuthorizations', { arguments: [demoSealId(msp)] });
    t.match(JSON.parse(Buffer.from(auths).toString()), [{ subject: identityOf(ts, issuer) }]);
    const key = join(ts.dataDir, 'seals', msp, 'seals', demoSealId(msp), 'signer.key');
    t.equal(statSync(key).mode & 0o777, 0o600, 'signer key 0600');
    t.equal(statSync(join(ts.dataDir, 'seals', msp, 'pki', 'sm2-maker.key')).mode & 0o777, 0o600, 'maker key 0600');
  }
  t.equal(loadSealTrustRoots(ts.dataDir).length, 2);
  t.same(readdirSync(join(ts.dataDir, 'seals', 'trust')).sort(), ['AgencyAMSP-sm2.pem', 'AgencyBMSP-sm2.pem']);
}

t.test('seal lifecycle through the routes, and issuance choosing a usable seal', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  await t.test('demo seals: one approved seal per agency, authorised for its issuer; trust roots and key files', (t) => checkDemoSeals(t, ts));
  const demoB = demoSealId('AgencyBMSP');

  // Apply: the keyring generates and holds the signer; nothing is written before the ledger accepts.
  const refused = await ts.request('POST', '/v1/seals', { as: 'portal', body: application() });
  t.equal(refused.status, 403);
  t.equal(refused.body.code, 'FORBIDDEN');
  t.notOk(existsSync(join(ts.dataDir, 'seals', 'PortalMSP')), 'a refused application leaves no key material');
  const applied = await ts.request('POST', '/v1/seals', { as: 'issuerB', body: application({ sealId: 'AgencyBMSP.approval-seal' }) });
  t.equal(applied.status, 201, JSON.stringify(applied.body));
  t.match(applied.body, { sealId: 'AgencyBMSP.approval-seal', ownerMsp: 'AgencyBMSP', status: 'APPLIED', heldByGateway: true, txId: String, blockNumber: Number });
  t.equal(applied.body.signerCertificates.length, 1);
  const sealId = applied.body.sealId as string;
  const path = `/v1/seals/${sealId}`;
  t.equal((await ts.request('POST', '/v1/seals', { as: 'issuerB', body: application({ sealId }) })).body.code, 'CONFLICT');

  // Approve (admin only), authorise (owner only).
  t.equal((await ts.request('POST', `${path}/approve`, { as: 'issuerB' })).body.code, 'FORBIDDEN');
  const approved = await ts.request('POST', `${path}/approve`, { as: 'admin' });
  t.equal(approved.status, 200);
  t.equal(approved.body.status, 'ACTIVE');
  t.equal((await ts.request('POST', `${path}/approve`, { as: 'admin' })).body.code, 'SEAL_STATE');
  const window = { subject: identityOf(ts, 'issuerB'), notBefore: new Date().toISOString(), notAfter: new Date(Date.now() + 30 * DAY).toISOString() };
  t.equal((await ts.request('POST', `${path}/authorizations`, { as: 'issuerA', body: { ...window, subject: identityOf(ts, 'issuerA') } })).body.code, 'FORBIDDEN');
  t.equal((await ts.request('POST', `${path}/authorizations`, { as: 'issuerB', body: { ...window, subject: 'CN=someone' } })).body.code, 'VALIDATION_FAILED');
  const authorized = await ts.request('POST', `${path}/authorizations`, { as: 'issuerB', body: window });
  t.equal(authorized.status, 201);
  t.match(authorized.body, { sealId, subject: window.subject, windows: [{ notAfter: String }] });

  // Issuance picks an active seal the caller may use: with the demo seal suspended, the new one.
  const suspended = await ts.request('POST', `/v1/seals/${demoB}/status`, { as: 'issuerB', body: { action: 'suspend', reason: '印章保管人变更' } });
  t.equal(suspended.body.status, 'SUSPENDED');
  const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerB', body: licenseB() });
  t.equal(issued.status, 201, JSON.stringify(issued.body));
  const sealed = issued.body.document as SealedLicense;
  t.equal(sealed.seal.sealId, sealId);
  t.ok(verifySealSignature({ signature: Buffer.from(sealed.seal.signature, 'base64'), content: canonicalBytes(sealed.document), trustedRoots: loadSealTrustRoots(ts.dataDir) }).ok);

  // No usable seal: the chaincode's refusal.
  const revoked = await ts.request('POST', `${path}/authorizations/revoke`, { as: 'issuerB', body: { subject: window.subject, reason: '调岗' } });
  t.equal(revoked.status, 200);
  const none = await ts.request('POST', '/v1/licenses', { as: 'issuerB', body: licenseB() });
  t.equal(none.status, 403);
  t.equal(none.body.code, 'SEAL_NOT_AUTHORIZED');
  t.equal((await ts.request('POST', `/v1/seals/${demoB}/status`, { as: 'issuerA', body: { action: 'resume', reason: 'x' } })).body.code, 'FORBIDDEN');
  t.equal((await ts.request('POST', `/v1/seals/${demoB}/status`, { as: 'admin', body: { action: 'resume', reason: '恢复' } })).body.status, 'ACTIVE', 'admin may change any seal');
  t.equal((await ts.request('POST', '/v1/licenses', { as: 'issuerB', body: licenseB() })).status, 201);
  const cancelled = await ts.request('POST', `${path}/status`, { as: 'issuerB', body: { action: 'cancel', reason: '注销' } });
  t.equal(cancelled.body.status, 'CANCELLED');
  t.equal((await ts.request('POST', `${path}/status`, { as: 'issuerB', body: { action: 'resume', reason: 'x' } })).body.code, 'SEAL_STATE');
  const history = await ts.request('GET', path, { as: 'verifier' });
  t.same(history.body.intervals.map((i: { status: string }) => i.status), ['APPLIED', 'ACTIVE', 'CANCELLED']);
  t.equal((await ts.request('GET', '/v1/seals/no-such-seal', { as: 'verifier' })).status, 404);
});

t.test('PKCS#7 seals and seals whose key the gateway does not hold', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const applied = await ts.request('POST', '/v1/seals', { as: 'issuerA', body: application({ format: 'PKCS7', name: '上海市市场监督管理局电子证照专用章(RSA)' }) });
  t.equal(applied.status, 201, JSON.stringify(applied.body));
  t.equal(applied.body.format, 'PKCS7');
  const path = `/v1/seals/${applied.body.sealId}`;
  await ts.request('POST', `${path}/approve`, { as: 'admin' });
  await ts.request('POST', `${path}/authorizations`, {
    as: 'issuerA',
    body: { subject: identityOf(ts, 'issuerA'), notBefore: new Date().toISOString(), notAfter: new Date(Date.now() + DAY).toISOString() },
  });
  // The newest usable seal is chosen.
  const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
  t.equal(issued.status, 201);
  const sealed = issued.body.document as SealedLicense;
  t.equal(sealed.seal.format, 'PKCS7');
  const trustedRoots = loadSealTrustRoots(ts.dataDir);
  t.ok(existsSync(join(ts.dataDir, 'seals', 'trust', 'AgencyAMSP-rsa.pem')), 'the RSA seal root is trusted too');
  const verified = verifySealSignature({ signature: Buffer.from(sealed.seal.signature, 'base64'), content: canonicalBytes(sealed.document), trustedRoots });
  t.ok(verified.ok, JSON.stringify(verified.checks));
  t.ok(applied.body.certFingerprints.includes(`sm3:${verified.facts.signer.fingerprint}`));

  // An external signer: listed in the seal, never used by this gateway.
  const ca = createRootCa('SM2', { subject: { commonName: 'External Seal CA' } });
  const signer = issueCertificate(ca, 'signer', { subject: { commonName: 'UKey 签章者' } });
  const external = await ts.request('POST', '/v1/seals', { as: 'issuerA', body: application({ signerCertificates: [toPem('CERTIFICATE', signer.certificate)] }) });
  t.equal(external.status, 201, JSON.stringify(external.body));
  t.equal(external.body.heldByGateway, false);
  const der = await ts.request('POST', '/v1/seals', { as: 'issuerA', body: application({ signerCertificates: [Buffer.from(signer.certificate).toString('base64')] }) });
  t.equal(der.status, 201);

  // Malformed applications.
  const bad = async (body: Record<string, unknown>, code: string) => {
    const answer = await ts.request('POST', '/v1/seals', { as: 'issuerA', body });
    t.equal(answer.status, 400, code);
    t.equal(answer.body.code, code, answer.body.detail);
  };
  await bad(application({ signerCertificates: ['bm90IGEgY2VydGlmaWNhdGU='] }), 'SEAL_MALFORMED');
  await bad(application({ signerCertificates: ['not base64 at all!'] }), 'VALIDATION_FAILED');
  await bad(application({ picture: Buffer.from('GIF89a not a png').toString('base64') }), 'VALIDATION_FAILED');
  await bad(application({ validEnd: new Date(Date.now() - DAY).toISOString() }), 'VALIDATION_FAILED');
  await bad(application({ format: 'PDF' }), 'VALIDATION_FAILED');
  await bad(application({ format: 'PKCS7', signerCertificates: [toPem('CERTIFICATE', signer.certificate)] }), 'VALIDATION_FAILED');
  await bad(application({ owner: 'AgencyBMSP' }), 'VALIDATION_FAILED');
});

t.test('a restart reuses the demo seals and the seals the keyring holds', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-seals-restart-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  let ts = await startTestSystem({ dataDir });
  const applied = await ts.request('POST', '/v1/seals', { as: 'issuerA', body: application({ sealId: 'AgencyAMSP.kept' }) });
  await ts.request('POST', `/v1/seals/AgencyAMSP.kept/approve`, { as: 'admin' });
  await ts.request('POST', `/v1/seals/AgencyAMSP.kept/authorizations`, {
    as: 'issuerA',
    body: { subject: identityOf(ts, 'issuerA'), notBefore: new Date().toISOString(), notAfter: new Date(Date.now() + DAY).toISOString() },
  });
  t.equal(applied.status, 201);
  const height = (await ts.request('GET', '/v1/ledger/info', { as: 'admin' })).body.height;
  await ts.close();

  ts = await startTestSystem({ dataDir });
  t.teardown(() => ts.close());
  t.equal((await ts.request('GET', '/v1/ledger/info', { as: 'admin' })).body.height, height, 'nothing submitted again at start');
  const listed = (await ts.request('GET', '/v1/seals?owner=AgencyAMSP', { as: 'issuerA' })).body as Array<{ sealId: string }>;
  t.ok(listed.some((s) => s.sealId === 'AgencyAMSP.kept') && listed.some((s) => s.sealId === demoSealId('AgencyAMSP')), 'both seals are there after the restart');
  const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
  t.equal(issued.status, 201);
  t.equal(issued.body.document.seal.sealId, 'AgencyAMSP.kept', 'the reloaded keyring signs');
  t.equal((await ts.request('GET', '/v1/seals/AgencyAMSP.kept', { as: 'issuerA' })).body.heldByGateway, true);
});
