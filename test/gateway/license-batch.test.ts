/**
 * Bulk collection over real HTTP: a batch of 1 000 licenses under one seal signature, bad items
 * reported by index without failing the rest (whether the gateway or the chaincode finds them),
 * Merkle proofs and the batch seal verifiable, a resent batch resumed without duplicates.
 */
import '../support/quiet';
import t from 'tap';
import { usccCheckCharacter } from '../../domain/holder-code';
import { batchManifestBytes, licenseDocumentDigest, type SealedLicense } from '../../domain/license-document';
import { verifyMerkleProof } from '../../domain/merkle';
import { MAX_BATCH_LICENSES } from '../../chaincode/license-contract';
import { LEDGER_BATCH_LIMIT } from '../../gateway/license-batch';
import { loadSealTrustRoots } from '../../gateway/seal-keyring';
import { verifySealSignature } from '../../seal';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { startTestSystem } from '../support/system';

const TYPE_A = DEMO_LICENSE_TYPES[0]!.typeCode;
const TYPE_B = DEMO_LICENSE_TYPES[1]!.typeCode;

function uscc(n: number): string {
  const body = `91310000MA2B${String(n).padStart(5, '0')}`;
  return `${body}${usccCheckCharacter(body)}`;
}

function item(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    typeCode: TYPE_A,
    number: `沪食经历史${String(n).padStart(6, '0')}`,
    holder: { name: `历史主体${n}`, codeType: '001', code: uscc(n) },
    issuedOn: '2015-06-01',
    validFrom: '2015-06-01',
    validUntil: '2020-05-31',
    areaCode: '310115',
    fields: { 经营场所: `上海市浦东新区某路${n}号`, 主体业态: '食品销售经营者' },
    ...overrides,
  };
}

t.test('the gateway batch limit is the chaincode one', async (t) => {
  t.equal(LEDGER_BATCH_LIMIT, MAX_BATCH_LICENSES);
});

t.test('batch issuance', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());

  // Already on the ledger before the batch: the same number with other data, and the same license.
  const clash = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: item(50, { areaCode: '310000' }) });
  t.equal(clash.status, 201);
  const same = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: item(70) });
  t.equal(same.status, 201);

  const licenses: unknown[] = Array.from({ length: 1000 }, (_, n) => item(n));
  const expected: Record<number, string> = {
    3: 'INVALID_HOLDER_CODE',
    10: 'VALIDATION_FAILED',
    20: 'VALIDATION_FAILED',
    30: 'TYPE_NOT_AUTHORIZED',
    40: 'CONFLICT',
    50: 'CONFLICT',
    60: 'VALIDATION_FAILED',
    70: 'CONFLICT',
  };
  licenses[3] = item(3, { holder: { name: 'x', codeType: '001', code: 'NOT-A-USCC' } });
  licenses[10] = { ...item(10), extra: true };
  licenses[20] = item(20, { fields: { 经营场所: 'x' } });
  licenses[30] = { ...item(30), typeCode: TYPE_B, holder: { name: '张三', codeType: '111', code: '11010519491231002X' }, fields: { 操作类别: '电工' } };
  licenses[40] = item(0);
  licenses[60] = 42;

  const started = Date.now();
  const { status, body } = await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses } });
  t.comment(`1000 licenses in ${Date.now() - started} ms`);
  t.equal(status, 200, JSON.stringify(body).slice(0, 500));
  t.equal(body.results.length, 1000);
  t.equal(body.issued, 992);
  t.equal(body.failed, 8);
  t.equal(body.size, 994, 'the tree holds what the gateway found good');
  t.equal(body.txIds.length, 1);
  t.match(body.batchId, /^batch-[0-9a-f]{40}$/);
  for (const result of body.results as Array<{ index: number; identifier?: string; error?: { code: string; detail: string } }>) {
    const code = expected[result.index];
    if (code) t.equal(result.error?.code, code, `item ${result.index}: ${result.error?.detail}`);
    else if (!result.identifier) t.fail(`item ${result.index} failed: ${JSON.stringify(result.error)}`);
  }
  t.same(body.results[10].error.errors.map((e: { field: string }) => e.field), ['body/licenses/10/extra']);
  t.match(body.results[40].error.detail, /item 0/);
  t.match(body.results[50].error.detail, /already exists/);

  // A batch-sealed document: its Merkle proof leads to the root the seal signed.
  const read = await ts.request('GET', `/v1/licenses/${encodeURIComponent(body.results[5].identifier)}`, { as: 'issuerA' });
  t.equal(read.status, 200);
  const sealed = read.body.document as SealedLicense;
  const batch = sealed.seal.batch!;
  t.equal(batch.manifest.root, body.root);
  t.equal(read.body.record.batchId, body.batchId);
  t.equal(licenseDocumentDigest(sealed.document), sealed.digest);
  t.ok(verifyMerkleProof(sealed.digest, batch.proof, batch.manifest.root), 'Merkle proof');
  const verified = verifySealSignature({
    signature: Buffer.from(sealed.seal.signature, 'base64'),
    content: batchManifestBytes(batch.manifest),
    trustedRoots: loadSealTrustRoots(ts.dataDir),
  });
  t.ok(verified.ok, JSON.stringify(verified.checks.filter((c) => !c.ok)));

  const progress = await ts.request('GET', `/v1/licenses/batch/${body.batchId}`, { as: 'issuerA' });
  t.match(progress.body, { batchId: body.batchId, size: 994, recorded: 992, complete: false });

  // Sent again: the same batch, resumed — nothing recorded twice, everything reported as before.
  const resent = await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses } });
  t.equal(resent.body.batchId, body.batchId);
  t.equal(resent.body.issued, 992);
  t.same(
    resent.body.results.map((r: { identifier?: string; error?: { code: string } }) => r.identifier ?? r.error?.code),
    body.results.map((r: { identifier?: string; error?: { code: string } }) => r.identifier ?? r.error?.code),
  );
  const again = await ts.request('GET', `/v1/licenses/batch/${body.batchId}`, { as: 'issuerA' });
  t.equal(again.body.recorded, 992, 'no duplicates');

  // Idempotency-Key: the first answer replayed.
  const small = { licenses: [item(2001), item(2002)] };
  const headers = { 'idempotency-key': 'batch-small' };
  const first = await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: small, headers });
  const replay = await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: small, headers });
  t.equal(replay.headers.get('idempotent-replayed'), 'true');
  t.same(replay.body, first.body);
  t.equal((await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses: [item(2003)] }, headers })).body.code, 'IDEMPOTENCY_CONFLICT');

  // Refusals of the whole request.
  const portal = await ts.request('POST', '/v1/licenses/batch', { as: 'portal', body: small });
  t.equal(portal.status, 403);
  t.equal(portal.body.code, 'FORBIDDEN');
  t.equal((await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses: [] } })).body.code, 'VALIDATION_FAILED');
  t.equal((await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses: Array.from({ length: 10_001 }, () => ({})) } })).body.code, 'VALIDATION_FAILED');
  t.equal((await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses: [item(1)], more: 1 } })).body.code, 'VALIDATION_FAILED');
});

t.test('a batch larger than one ledger transaction is recorded in chunks', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const licenses = Array.from({ length: 2 * LEDGER_BATCH_LIMIT + 5 }, (_, n) => item(10_000 + n));
  const { status, body } = await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses } });
  t.equal(status, 200);
  t.equal(body.issued, licenses.length);
  t.equal(body.txIds.length, 3);
  const progress = await ts.request('GET', `/v1/licenses/batch/${body.batchId}`, { as: 'admin' });
  t.equal(progress.body.code, 'NOT_FOUND', 'by default, a batch of the caller organisation');
  const named = await ts.request('GET', `/v1/licenses/batch/${body.batchId}?issuer=AgencyAMSP`, { as: 'auditor' });
  t.match(named.body, { recorded: licenses.length, complete: true });

  // The batch signature is stored once; every document reads back whole, from any chunk.
  const roots = loadSealTrustRoots(ts.dataDir);
  let signature: string | undefined;
  for (const index of [0, LEDGER_BATCH_LIMIT - 1, LEDGER_BATCH_LIMIT, 2 * LEDGER_BATCH_LIMIT + 4]) {
    const read = await ts.request('GET', `/v1/licenses/${encodeURIComponent(body.results[index].identifier)}`, { as: 'issuerA' });
    t.equal(read.status, 200);
    const sealed = read.body.document as SealedLicense;
    t.match(sealed, { digest: String, seal: { format: 'GBT38540', sealId: String, signature: String, signerName: String, sealName: String } });
    t.same(sealed.seal.batch?.manifest, { format: 'licensechain/batch@1', batchId: body.batchId, root: body.root, size: licenses.length });
    t.equal(sealed.seal.batch?.proof.index, index);
    t.equal(licenseDocumentDigest(sealed.document), sealed.digest);
    t.ok(verifyMerkleProof(sealed.digest, sealed.seal.batch!.proof, body.root), `proof of ${index}`);
    signature ??= sealed.seal.signature;
    t.equal(sealed.seal.signature, signature, 'one signature for the batch');
    t.ok(verifySealSignature({ signature: Buffer.from(sealed.seal.signature, 'base64'), content: batchManifestBytes(sealed.seal.batch!.manifest), trustedRoots: roots }).ok);
  }
  const ids = body.results.map((r: { identifier: string }) => r.identifier) as string[];
  const stored = await ts.system.gateway.lc.licenses.getMany(ids);
  t.equal(stored.filter((s) => s?.sealed.seal.signature === signature && s?.sealed.seal.batch?.manifest.root === body.root).length, licenses.length, 'getMany: all whole');
});
