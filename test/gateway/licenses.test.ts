/**
 * License routes over real HTTP against the embedded system: issue (with the seal signature checked
 * against the trust roots), read, history, lifecycle, new versions, a holder's licenses, idempotent
 * retries, and every kind of refusal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { canonicalBytes } from '../../domain/canonical-json';
import { usccCheckCharacter } from '../../domain/holder-code';
import { licenseDocumentDigest, type SealedLicense } from '../../domain/license-document';
import { derivedSerial } from '../../gateway/license-issuance';
import { loadSealTrustRoots } from '../../gateway/seal-keyring';
import { verifySealSignature } from '../../seal';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { startTestSystem, type TestSystem } from '../support/system';

const TYPE_A = DEMO_LICENSE_TYPES[0]!.typeCode;
const TYPE_B = DEMO_LICENSE_TYPES[1]!.typeCode;

let counter = 0;
function company(): string {
  const body = `91310000MA1F${String(++counter).padStart(5, '0')}`;
  return `${body}${usccCheckCharacter(body)}`;
}

function licenseA(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    typeCode: TYPE_A,
    number: `沪食经${String(++counter).padStart(6, '0')}`,
    holder: { name: '上海某某餐饮有限公司', codeType: '001', code: company() },
    issuedOn: '2025-03-01',
    validFrom: '2025-03-01',
    validUntil: '2030-02-28',
    areaCode: '310101',
    fields: { 经营场所: '上海市黄浦区南京东路1号', 主体业态: '餐饮服务经营者', 经营项目: ['热食类食品制售'] },
    ...overrides,
  };
}

function licenseB(): Record<string, unknown> {
  return {
    typeCode: TYPE_B,
    number: `建安${++counter}`,
    holder: { name: '张三', codeType: '111', code: '11010519491231002X' },
    issuedOn: '2025-01-01',
    validFrom: '2025-01-01',
    validUntil: null,
    areaCode: '310000',
    fields: { 操作类别: '建筑电工' },
  };
}

t.test('license routes', async (t) => {
  // Log lines, to check what a holder lookup leaves in them.
  const logs: string[] = [];
  const ts: TestSystem = await startTestSystem({ logger: { level: 'info', stream: { write: (line: string) => void logs.push(line) } } });
  t.teardown(() => ts.close());

  t.test('issue: 201 with a sealed document whose seal signature verifies against the trust roots', async (t) => {
    const input = licenseA();
    const { status, body } = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input });
    t.equal(status, 201);
    t.match(body, { version: 1, existing: false, txId: /^[0-9a-f]{64}$/, blockNumber: Number, digest: /^sm3:[0-9a-f]{64}$/ });
    const sealed = body.document as SealedLicense;
    t.equal(sealed.document.identifier, body.identifier);
    t.equal(sealed.document.holderCode, (input.holder as { code: string }).code);
    t.equal(sealed.document.issuerName, '上海市市场监督管理局');
    t.equal(sealed.document.name, '食品经营许可证');
    t.equal(licenseDocumentDigest(sealed.document), body.digest, 'digest is SM3 over the canonical document');
    t.match(body.qr, /\/v1\/verify\/license\/.+\?digest=sm3%3A/);
    // Identifier: type, issuer USCC, serial derived from issuer + type + number, version 001.
    const issuerCode = sealed.document.issuerCode;
    t.equal(body.identifier.split('.')[7], derivedSerial(issuerCode, TYPE_A, input.number as string));
    t.equal(body.identifier.split('.')[8], '001');

    const trustedRoots = loadSealTrustRoots(ts.dataDir);
    t.ok(trustedRoots.length >= 2, 'one seal root per issuing agency');
    const signature = Buffer.from(sealed.seal.signature, 'base64');
    const verified = verifySealSignature({ signature, content: canonicalBytes(sealed.document), trustedRoots });
    t.ok(verified.ok, `seal checks: ${JSON.stringify(verified.checks.filter((c) => !c.ok))}`);
    t.equal(verified.facts.propertyInfo, body.identifier);
    const tampered = verifySealSignature({ signature, content: canonicalBytes({ ...sealed.document, holderName: '李四' }), trustedRoots });
    t.notOk(tampered.ok, 'a changed document fails the DIGEST check');

    // The seal is the one registered on the ledger, and the signer is listed in it.
    const seal = await ts.request('GET', `/v1/seals/${sealed.seal.sealId}`, { as: 'verifier' });
    t.equal(seal.status, 200);
    t.equal(seal.body.status, 'ACTIVE');
    t.equal(seal.body.sealDigest, `sm3:${verified.facts.seal?.sealDigest}`);
    t.ok(seal.body.certFingerprints.includes(`sm3:${verified.facts.signer.fingerprint}`));

    // The ledger has the digest and the holder reference, never the holder's name or code.
    const tx = await ts.request('GET', `/v1/ledger/transactions/${body.txId}`, { as: 'auditor' });
    t.equal(tx.status, 200);
    const args = JSON.stringify(tx.body.arguments);
    t.ok(args.includes(body.digest));
    t.notOk(args.includes((input.holder as { code: string }).code), 'holder code not on the ledger');
    t.notOk(args.includes('上海某某餐饮有限公司'), 'holder name not on the ledger');
  });

  t.test('read: issuer, portal and admin get document and record; others are refused', async (t) => {
    const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
    const id = encodeURIComponent(issued.body.identifier);
    for (const who of ['issuerA', 'portal', 'admin'] as const) {
      const { status, body } = await ts.request('GET', `/v1/licenses/${id}`, { as: who });
      t.equal(status, 200, who);
      t.same(body.document, issued.body.document, `${who}: the stored sealed document`);
      t.match(body.record, { identifier: issued.body.identifier, status: '01', docDigest: issued.body.digest, version: 1, flags: [] });
    }
    for (const who of ['issuerB', 'verifier', 'auditor'] as const) {
      const { status, body } = await ts.request('GET', `/v1/licenses/${id}`, { as: who });
      t.equal(status, 403, who);
      t.equal(body.code, 'FORBIDDEN');
    }
    t.equal((await ts.request('GET', `/v1/licenses/${id}`)).status, 401);
    const unknown = issued.body.identifier.replace(/\.001\.(.)$/, '.002.$1');
    t.equal((await ts.request('GET', `/v1/licenses/${encodeURIComponent(unknown)}`, { as: 'admin' })).body.code, 'INVALID_IDENTIFIER', 'wrong check character');
    const missing = await ts.request('GET', `/v1/licenses/${encodeURIComponent('1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F')}`, { as: 'admin' });
    t.equal(missing.status, 404);
    t.equal(missing.body.code, 'NOT_FOUND');
  });

  t.test('retry without a key: the same license answers 200 existing; other data under the number: CONFLICT', async (t) => {
    const input = licenseA();
    const first = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input });
    const again = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input });
    t.equal(again.status, 200);
    t.equal(again.body.existing, true);
    t.equal(again.body.identifier, first.body.identifier);
    t.equal(again.body.txId, first.body.txId);
    t.same(again.body.document, first.body.document);
    const other = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: { ...input, areaCode: '310104' } });
    t.equal(other.status, 409);
    t.equal(other.body.code, 'CONFLICT');
    t.match(other.body.detail, first.body.identifier);
  });

  t.test('an explicit serial is used as the identifier serial', async (t) => {
    const { status, body } = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA({ serial: '2430599' }) });
    t.equal(status, 201);
    t.equal(body.identifier.split('.')[7], '2430599');
  });

  t.test('idempotency: replay with the same key and body; the key with another body is refused', async (t) => {
    const input = licenseA();
    const headers = { 'idempotency-key': `issue-${counter}` };
    const first = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input, headers });
    const replay = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input, headers });
    t.equal(first.status, 201);
    t.equal(replay.status, 201);
    t.equal(replay.headers.get('idempotent-replayed'), 'true');
    t.same(replay.body, first.body);
    const conflict = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA(), headers });
    t.equal(conflict.status, 409);
    t.equal(conflict.body.code, 'IDEMPOTENCY_CONFLICT');
  });

  t.test('refusals', async (t) => {
    const refused = async (who: 'issuerA' | 'portal' | 'verifier', body: unknown, status: number, code: string, headers?: Record<string, string>) => {
      const answer = await ts.request('POST', '/v1/licenses', { as: who, body, ...(headers ? { headers } : {}) });
      t.equal(answer.status, status, `${code}: status`);
      t.equal(answer.body.code, code, `${code}: ${answer.body.detail}`);
      t.match(answer.headers.get('content-type'), /application\/problem\+json/);
      return answer.body;
    };
    await refused('portal', licenseA(), 403, 'FORBIDDEN');
    await refused('verifier', licenseA(), 403, 'FORBIDDEN');
    await refused('issuerA', licenseB(), 403, 'TYPE_NOT_AUTHORIZED');
    await refused('issuerA', licenseA({ holder: { name: 'X', codeType: '001', code: '91310000MA1F' } }), 400, 'INVALID_HOLDER_CODE');
    await refused('issuerA', licenseA({ holder: { name: 'X', codeType: '111', code: '11010519491231002X' } }), 400, 'INVALID_HOLDER_CODE');
    await refused('issuerA', licenseA({ holder: { name: 'X', codeType: '777', code: 'ABC' } }), 400, 'INVALID_HOLDER_CODE');
    const fields = await refused('issuerA', licenseA({ fields: { 经营场所: '上海', 未知字段: 1 } }), 400, 'VALIDATION_FAILED');
    t.same(fields.errors.map((e: { field: string }) => e.field).sort(), ['body/fields/主体业态', 'body/fields/未知字段']);
    const typed = await refused('issuerA', licenseA({ fields: { 经营场所: 7, 主体业态: '餐饮' } }), 400, 'VALIDATION_FAILED');
    t.same(typed.errors.map((e: { field: string }) => e.field), ['body/fields/经营场所']);
    const extra = await refused('issuerA', { ...licenseA(), holderName: 'x' }, 400, 'VALIDATION_FAILED');
    t.same(extra.errors.map((e: { field: string }) => e.field), ['body/holderName']);
    await refused('issuerA', licenseA({ number: 123 }), 400, 'VALIDATION_FAILED');
    await refused('issuerA', licenseA({ validUntil: '2020-01-01' }), 400, 'VALIDATION_FAILED');
    await refused('issuerA', licenseA({ issuedOn: '2025-02-30' }), 400, 'VALIDATION_FAILED');
    await refused('issuerA', licenseA({ typeCode: '11310000002416284X009' }), 404, 'NOT_FOUND');
    const { holder: _holder, ...missing } = licenseA();
    await refused('issuerA', missing, 400, 'VALIDATION_FAILED');
    await refused('issuerA', '{"typeCode": ', 400, 'MALFORMED_REQUEST', { 'content-type': 'application/json' });
    await refused('issuerA', 'typeCode=x', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/x-www-form-urlencoded' });
    await refused('issuerA', licenseA({ fields: { 经营场所: 'x'.repeat(2 * 1024 * 1024), 主体业态: '餐饮' } }), 413, 'PAYLOAD_TOO_LARGE');
    const anonymous = await ts.request('POST', '/v1/licenses', { body: licenseA() });
    t.equal(anonymous.status, 401);
    t.equal(anonymous.body.code, 'UNAUTHENTICATED');
  });

  t.test('history and status transitions', async (t) => {
    const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
    const path = `/v1/licenses/${encodeURIComponent(issued.body.identifier)}`;
    const suspended = await ts.request('POST', `${path}/status`, { as: 'issuerA', body: { action: 'suspend', reason: '整改' } });
    t.equal(suspended.status, 200);
    t.match(suspended.body, { status: '02', txId: String, blockNumber: Number });
    t.equal((await ts.request('POST', `${path}/status`, { as: 'issuerA', body: { action: 'resume', reason: '整改完成' } })).body.status, '01');
    const other = await ts.request('POST', `${path}/status`, { as: 'issuerB', body: { action: 'suspend', reason: 'x' } });
    t.equal(other.body.code, 'FORBIDDEN');
    t.equal((await ts.request('POST', `${path}/status`, { as: 'issuerA', body: { action: 'pause', reason: 'x' } })).body.code, 'VALIDATION_FAILED');
    t.equal((await ts.request('POST', `${path}/status`, { as: 'issuerA', body: { action: 'revoke', reason: '违法' } })).body.status, '03');
    const state = await ts.request('POST', `${path}/status`, { as: 'issuerA', body: { action: 'resume', reason: 'x' } });
    t.equal(state.status, 409);
    t.equal(state.body.code, 'LICENSE_STATE');

    const history = await ts.request('GET', `${path}/history`, { as: 'issuerA' });
    t.equal(history.status, 200);
    t.same(history.body.map((e: { operation: string }) => e.operation), ['issue', 'suspend', 'resume', 'revoke']);
    t.match(history.body[1], { actor: 'AgencyAMSP', status: '02', reason: '整改', txId: suspended.body.txId, at: String });
    t.equal((await ts.request('GET', `${path}/history`, { as: 'auditor' })).status, 200, 'oversight reads history');
    t.equal((await ts.request('GET', `${path}/history`, { as: 'issuerB' })).body.code, 'FORBIDDEN');
  });

  t.test('new versions: renew, superseded, retried, refused', async (t) => {
    const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
    const path = `/v1/licenses/${encodeURIComponent(issued.body.identifier)}/versions`;
    const request = { operation: 'renew', reason: '延续', changes: { validUntil: '2035-02-28', fields: { 经营项目: ['热食类食品制售', '冷食类食品制售'] } } };
    const renewed = await ts.request('POST', path, { as: 'issuerA', body: request });
    t.equal(renewed.status, 201, JSON.stringify(renewed.body));
    const next = renewed.body.document as SealedLicense;
    t.equal(renewed.body.version, 2);
    t.equal(next.document.previousIdentifier, issued.body.identifier);
    t.equal(next.document.validUntil, '2035-02-28');
    t.same(next.document.fields, { ...(issued.body.document as SealedLicense).document.fields, 经营项目: ['热食类食品制售', '冷食类食品制售'] });
    t.equal(next.document.holderCode, (issued.body.document as SealedLicense).document.holderCode);
    t.ok(verifySealSignature({ signature: Buffer.from(next.seal.signature, 'base64'), content: canonicalBytes(next.document), trustedRoots: loadSealTrustRoots(ts.dataDir) }).ok);

    const old = await ts.request('GET', `/v1/licenses/${encodeURIComponent(issued.body.identifier)}`, { as: 'issuerA' });
    t.match(old.body.record, { superseded: true, nextIdentifier: renewed.body.identifier });

    const retried = await ts.request('POST', path, { as: 'issuerA', body: request });
    t.equal(retried.status, 200, 'the same new version again: answered as existing');
    t.equal(retried.body.existing, true);
    t.equal(retried.body.identifier, renewed.body.identifier);

    const again = await ts.request('POST', path, { as: 'issuerA', body: { ...request, changes: { validUntil: '2036-01-01' } } });
    t.equal(again.status, 409);
    t.equal(again.body.code, 'LICENSE_STATE');

    const nextPath = `/v1/licenses/${encodeURIComponent(renewed.body.identifier)}/versions`;
    const badField = await ts.request('POST', nextPath, { as: 'issuerA', body: { operation: 'change', reason: 'x', changes: { fields: { 主体业态: null } } } });
    t.equal(badField.body.code, 'VALIDATION_FAILED', 'removing a required field');
    t.same(badField.body.errors.map((e: { field: string }) => e.field), ['body/changes/fields/主体业态']);
    t.equal((await ts.request('POST', nextPath, { as: 'issuerA', body: { operation: 'change', reason: 'x', changes: { typeCode: TYPE_B } } })).body.code, 'VALIDATION_FAILED');
    t.equal((await ts.request('POST', nextPath, { as: 'issuerB', body: { operation: 'change', reason: 'x', changes: {} } })).body.code, 'FORBIDDEN');
    const corrected = await ts.request('POST', nextPath, { as: 'issuerA', body: { operation: 'correct', reason: '更正名称', changes: { holder: { name: '上海某某餐饮管理有限公司', codeType: '001', code: company() } } } });
    t.equal(corrected.status, 201);
    t.equal(corrected.body.version, 3);
  });

  t.test("a holder's licenses with their version chains; purpose required", async (t) => {
    const input = licenseA();
    const holder = input.holder as { codeType: string; code: string };
    const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input });
    const renewed = await ts.request('POST', `/v1/licenses/${encodeURIComponent(issued.body.identifier)}/versions`, {
      as: 'issuerA',
      body: { operation: 'renew', reason: '延续', changes: { validUntil: '2040-01-01' } },
    });
    const query = `codeType=${holder.codeType}&code=${holder.code.toLowerCase()}&purpose=${encodeURIComponent('办理食品经营变更')}`;
    const { status, body } = await ts.request('GET', `/v1/holders/licenses?${query}`, { as: 'portal' });
    t.equal(status, 200);
    t.equal(body.chains.length, 1);
    t.match(body.chains[0], { first: issued.body.identifier, current: renewed.body.identifier });
    t.same(body.chains[0].versions.map((v: { record: { identifier: string } }) => v.record.identifier), [issued.body.identifier, renewed.body.identifier]);
    t.same(body.chains[0].versions[1].document, renewed.body.document);
    t.equal((await ts.request('GET', `/v1/holders/licenses?${query}`, { as: 'issuerB' })).body.chains.length, 0, 'an issuer sees only its own');
    t.equal((await ts.request('GET', `/v1/holders/licenses?${query}`, { as: 'verifier' })).body.code, 'FORBIDDEN');
    const lookups = logs.filter((line) => line.includes('holder licenses lookup')).map((line) => JSON.parse(line));
    t.match(lookups[0], { caller: 'portal', org: 'PortalMSP', purpose: '办理食品经营变更', codeType: '001', holderRef: body.holderRef });
    t.notOk(logs.some((line) => line.includes(holder.code) || line.includes(holder.code.toLowerCase())), 'the holder code is never logged');
    const noPurpose = await ts.request('GET', `/v1/holders/licenses?codeType=${holder.codeType}&code=${holder.code}`, { as: 'portal' });
    t.equal(noPurpose.status, 400);
    t.equal(noPurpose.body.code, 'VALIDATION_FAILED');
    t.equal((await ts.request('GET', `/v1/holders/licenses?codeType=001&code=XYZ&purpose=x`, { as: 'portal' })).body.code, 'INVALID_HOLDER_CODE');
  });

  t.test('OpenAPI lists the license, seal, ledger and license-type routes', async (t) => {
    const { status, body } = await ts.request('GET', '/openapi.json');
    t.equal(status, 200);
    for (const path of [
      '/v1/licenses',
      '/v1/licenses/batch',
      '/v1/licenses/{identifier}',
      '/v1/licenses/{identifier}/history',
      '/v1/licenses/{identifier}/status',
      '/v1/licenses/{identifier}/versions',
      '/v1/holders/licenses',
      '/v1/license-types',
      '/v1/license-types/{typeCode}',
      '/v1/seals',
      '/v1/seals/{sealId}',
      '/v1/seals/{sealId}/approve',
      '/v1/seals/{sealId}/authorizations',
      '/v1/seals/{sealId}/status',
      '/v1/ledger/info',
      '/v1/ledger/blocks/{number}',
      '/v1/ledger/transactions/{txId}',
    ]) {
      t.ok(body.paths[path], path);
    }
    t.ok(body.paths['/v1/licenses'].post.requestBody, 'the issue body schema is published');
  });
});

t.test('a gateway that lost a committed document recovers it on the retry', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-licenses-lost-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  let ts = await startTestSystem({ dataDir });
  const input = licenseA();
  const first = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input });
  t.equal(first.status, 201);
  await ts.close();
  // As if the gateway had stopped between the commit and its own write.
  rmSync(join(dataDir, 'gateway', 'licenses'), { recursive: true, force: true });
  ts = await startTestSystem({ dataDir });
  t.teardown(() => ts.close());
  const id = `/v1/licenses/${encodeURIComponent(first.body.identifier)}`;
  t.equal((await ts.request('GET', id, { as: 'issuerA' })).body.document, null, 'the document is gone');
  const retried = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: input });
  t.equal(retried.status, 200);
  t.match(retried.body, { existing: true, identifier: first.body.identifier, digest: first.body.digest, txId: first.body.txId, blockNumber: first.body.blockNumber });
  t.equal((await ts.request('GET', id, { as: 'issuerA' })).body.document.digest, first.body.digest, 'stored again');
});
