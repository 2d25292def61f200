/**
 * Consent and reuse over real HTTP against the real embedded system: grants by the owner's
 * portal, refusals (not the owner, wrong role, bad input), revocation, the holder's feeds, and
 * the custodian's one-time delivery — to the receipt's grantee only, once, and never of bytes
 * that no longer match the ledger.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { openMaterialDelivery } from '../../gateway/material-delivery';
import { startTestSystem, type TestSystem } from '../support/system';
import {
  call,
  citizen,
  holderQuery,
  ledgerEvaluate,
  ledgerSubmit,
  pdfBytes,
  principal,
  tomorrow,
  upload,
  uploadFields,
  type Holder,
} from './material-support';

const PURPOSE = '办理社会保险登记';

interface Material {
  materialId: string;
  digest: string;
  size: number;
}

async function material(ts: TestSystem, holder: Holder, bytes = pdfBytes(8000)): Promise<Material> {
  const res = await upload(ts, 'portal', uploadFields(holder), { data: bytes });
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as unknown as Material;
}

function grantBody(holder: Holder, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { holder, grantee: 'VerifierMSP', purpose: PURPOSE, caseNo: 'SB-2025-1', expiresAt: tomorrow(), maxUses: 2, ...overrides };
}

/** The grantee's own `consent:UseMaterial` (the verifier service does this in production). */
function use(ts: TestSystem, grantId: string, materialId: string): Promise<{ receiptId: string }> {
  return ledgerSubmit(ts, 'verifier', 'consent:UseMaterial', { grantId, materialId, purpose: PURPOSE });
}

function blobPath(ts: TestSystem, digest: string): string {
  const hex = digest.slice(4);
  return join(ts.dataDir, 'gateway', 'materials', hex.slice(0, 2), hex.slice(2));
}

t.test('consent and delivery', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const owner = citizen(21);
  const stranger = citizen(22);

  t.test('the owner grants, uses are received and delivered once, to the grantee only', async (t) => {
    const bytes = pdfBytes(20_000);
    const m = await material(ts, owner, bytes);
    const granted = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, grantBody(owner));
    t.equal(granted.status, 201, JSON.stringify(granted.body));
    t.match(granted.body, { materialId: m.materialId, granteeMsp: 'VerifierMSP', custodianMsp: 'PortalMSP', purpose: PURPOSE, maxUses: 2, uses: 0, status: 'ACTIVE' });
    const grantId = granted.body.grantId as string;
    t.type(granted.body.txId, 'string');

    const receipt = await use(ts, grantId, m.materialId);
    const content = `/v1/materials/${m.materialId}/content?receipt=${receipt.receiptId}`;

    const otherOrg = await call(ts, 'issuerA', 'GET', content);
    t.equal(otherOrg.status, 403, 'another organisation is refused');
    t.equal(otherOrg.body.code, 'FORBIDDEN');
    const portalAsk = await call(ts, 'portal', 'GET', content);
    t.equal(portalAsk.status, 403, 'the custodian itself is not the grantee');
    const wrongMaterial = await call(ts, 'verifier', 'GET', `/v1/materials/mat-other/content?receipt=${receipt.receiptId}`);
    t.equal(wrongMaterial.body.code, 'GRANT_INVALID');
    t.equal((await call(ts, 'verifier', 'GET', `/v1/materials/${m.materialId}/content`)).status, 400, 'receipt is required');

    const res = await fetch(`${ts.gatewayUrl}${content}`, { headers: ts.auth('verifier') });
    t.equal(res.status, 200);
    t.equal(res.headers.get('content-type'), 'application/pdf');
    t.equal(res.headers.get('x-receipt-id'), receipt.receiptId);
    t.equal(res.headers.get('repr-digest'), `sm3=:${Buffer.from(m.digest.slice(4), 'hex').toString('base64')}:`);
    t.equal(res.headers.get('cache-control'), 'no-store');
    t.same(Buffer.from(await res.arrayBuffer()), bytes, 'the bytes, whole');

    const head = await fetch(`${ts.gatewayUrl}${content}`, { method: 'HEAD', headers: ts.auth('verifier') });
    t.equal(head.status, 404, 'no HEAD: it would use up the delivery');
    const second = await call(ts, 'verifier', 'GET', content);
    t.equal(second.status, 409, 'a receipt yields one delivery');
    t.equal(second.body.code, 'CONFLICT');

    const stored = await ledgerEvaluate<{ delivered: boolean; deliveryTxId: string }>(ts, 'verifier', 'consent:GetReceipt', receipt.receiptId);
    t.equal(stored.delivered, true);
    t.equal(stored.deliveryTxId, res.headers.get('x-delivery-tx-id'));

    // In-process, as the verifier calls it in embedded mode.
    const next = await use(ts, grantId, m.materialId);
    const delivery = await openMaterialDelivery(ts.system.gateway, principal(ts, 'verifier'), m.materialId, next.receiptId);
    t.match(delivery, { size: bytes.length, digest: m.digest, mediaType: 'application/pdf' });
    const chunks: Buffer[] = [];
    for await (const chunk of delivery.stream) chunks.push(chunk as Buffer);
    t.same(Buffer.concat(chunks), bytes);

    await t.rejects(use(ts, grantId, m.materialId), { code: 'GRANT_EXHAUSTED' }, 'maxUses is enforced');
  });

  t.test('grants: only the owner, only the portal, valid input', async (t) => {
    const m = await material(ts, owner);
    const path = `/v1/materials/${m.materialId}/grants`;
    const notOwner = await call(ts, 'portal', 'POST', path, grantBody(stranger));
    t.equal(notOwner.status, 403);
    t.equal(notOwner.body.code, 'FORBIDDEN');
    const verifier = await call(ts, 'verifier', 'POST', path, grantBody(owner));
    t.equal(verifier.status, 403, 'a verifier cannot grant');
    const issuer = await call(ts, 'issuerA', 'POST', path, grantBody(owner));
    t.equal(issuer.status, 403, 'an issuer cannot grant');
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['purpose over 200 characters', grantBody(owner, { purpose: '事'.repeat(201) }), 'VALIDATION_FAILED'],
      ['a past expiry', grantBody(owner, { expiresAt: '2020-01-01T00:00:00Z' }), 'VALIDATION_FAILED'],
      ['a local time', grantBody(owner, { expiresAt: '2099-01-01T00:00:00+08:00' }), 'VALIDATION_FAILED'],
      ['zero uses', grantBody(owner, { maxUses: 0 }), 'VALIDATION_FAILED'],
      ['uses as a string', grantBody(owner, { maxUses: '2' }), 'VALIDATION_FAILED'],
      ['an unknown field', grantBody(owner, { colour: 'red' }), 'VALIDATION_FAILED'],
      ['an unknown grantee', grantBody(owner, { grantee: 'NobodyMSP' }), 'NOT_FOUND'],
      ['a bad holder code', grantBody({ codeType: '111', code: '123' }), 'INVALID_HOLDER_CODE'],
    ];
    for (const [name, body, code] of cases) t.equal((await call(ts, 'portal', 'POST', path, body)).body.code, code, name);
    t.equal((await call(ts, 'portal', 'POST', '/v1/materials/mat-none/grants', grantBody(owner))).body.code, 'NOT_FOUND');
  });

  t.test('revocation by the owner ends the grant', async (t) => {
    const m = await material(ts, owner);
    const granted = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, grantBody(owner));
    const grantId = granted.body.grantId as string;
    const receipt = await use(ts, grantId, m.materialId);

    const byStranger = await call(ts, 'portal', 'DELETE', `/v1/grants/${grantId}?${holderQuery(stranger)}`);
    t.equal(byStranger.status, 403);
    const byVerifier = await call(ts, 'verifier', 'DELETE', `/v1/grants/${grantId}?${holderQuery(owner)}`);
    t.equal(byVerifier.status, 403);
    t.equal((await call(ts, 'portal', 'DELETE', `/v1/grants/${grantId}`)).status, 400, 'the holder must be named');

    const revoked = await call(ts, 'portal', 'DELETE', `/v1/grants/${grantId}?${holderQuery(owner)}&reason=${encodeURIComponent('不再同意')}`);
    t.equal(revoked.status, 200);
    t.match(revoked.body, { grantId, status: 'REVOKED', lastChange: { reason: '不再同意' } });
    t.type(revoked.body.txId, 'string');
    t.equal((await call(ts, 'portal', 'DELETE', `/v1/grants/${grantId}?${holderQuery(owner)}`)).status, 409, 'revoked once');
    await t.rejects(use(ts, grantId, m.materialId), { code: 'GRANT_INVALID' }, 'no use after revocation');
    const late = await call(ts, 'verifier', 'GET', `/v1/materials/${m.materialId}/content?receipt=${receipt.receiptId}`);
    t.equal(late.body.code, 'GRANT_INVALID', 'a receipt taken before the revocation is not delivered');

    const grant = await call(ts, 'verifier', 'GET', `/v1/grants/${grantId}`);
    t.equal(grant.status, 200);
    t.equal(grant.body.ownerRef, null, 'the grantee does not see the owner');
  });

  t.test('the holder\'s feeds', async (t) => {
    const holder = citizen(23);
    const m = await material(ts, holder);
    const granted = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, grantBody(holder));
    const receipt = await use(ts, granted.body.grantId as string, m.materialId);
    const q = holderQuery(holder);
    const materials = await call(ts, 'portal', 'GET', `/v1/holders/materials?${q}&purpose=${encodeURIComponent('本人查询')}`);
    t.equal(materials.status, 200);
    t.same((materials.body as unknown as Material[]).map((x) => x.materialId), [m.materialId]);
    const grants = await call(ts, 'portal', 'GET', `/v1/holders/grants?${q}`);
    t.same((grants.body as unknown as Array<{ grantId: string }>).map((g) => g.grantId), [granted.body.grantId]);
    const receipts = await call(ts, 'portal', 'GET', `/v1/holders/receipts?${q}`);
    t.match(receipts.body, [{ receiptId: receipt.receiptId, granteeMsp: 'VerifierMSP', purpose: PURPOSE, delivered: false }]);
    const disputes = await call(ts, 'portal', 'GET', `/v1/holders/disputes?${q}`);
    t.same(disputes.body, []);
    t.equal((await call(ts, 'verifier', 'GET', `/v1/holders/receipts?${q}`)).status, 403, 'a verifier reads no holder feed');
    t.equal((await call(ts, 'portal', 'GET', '/v1/holders/materials?codeType=111')).status, 400, 'code is required');
    t.equal((await call(ts, 'portal', 'GET', `/v1/holders/materials?${q}&extra=1`)).status, 400, 'unknown query parameters are refused');
  });

  t.test('altered bytes on disk are never delivered', async (t) => {
    const bytes = pdfBytes(30_000);
    const m = await material(ts, owner, bytes);
    const granted = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, grantBody(owner, { maxUses: 5 }));
    const grantId = granted.body.grantId as string;
    const altered = Buffer.from(bytes);
    altered[20_000] = (altered[20_000] as number) ^ 0xff;
    writeFileSync(blobPath(ts, m.digest), altered);

    const errors: unknown[] = [];
    const log = ts.system.gateway.log as unknown as { error: (...args: unknown[]) => void };
    const original = log.error;
    log.error = (...args: unknown[]) => {
      errors.push(args);
      original.apply(log, args);
    };
    t.teardown(() => {
      log.error = original;
    });

    const r1 = await use(ts, grantId, m.materialId);
    const refused = await call(ts, 'verifier', 'GET', `/v1/materials/${m.materialId}/content?receipt=${r1.receiptId}`);
    t.equal(refused.status, 502);
    t.equal(refused.body.code, 'INTEGRITY_FAILED');
    const receipt = await ledgerEvaluate<{ delivered: boolean }>(ts, 'verifier', 'consent:GetReceipt', r1.receiptId);
    t.equal(receipt.delivered, false, 'the refused delivery does not use up the receipt');
    t.ok(errors.length >= 1, 'the mismatch is logged');
    const metrics = await (await fetch(`${ts.gatewayUrl}/metrics`)).text();
    t.match(metrics, /lc_material_integrity_failures_total\{[^}]*\} [1-9]/, 'and counted');

    // Large files are checked while streaming: the consumer gets an error, never the whole body.
    const r2 = await use(ts, grantId, m.materialId);
    const delivery = await openMaterialDelivery(ts.system.gateway, principal(ts, 'verifier'), m.materialId, r2.receiptId, { preverifyMaxBytes: 0 });
    let received = 0;
    await t.rejects(
      pipeline(delivery.stream, new Writable({ write: (chunk: Buffer, _e, done) => ((received += chunk.length), done()) })),
      { code: 'INTEGRITY_FAILED' },
    );
    t.ok(received < bytes.length, `only ${received} of ${bytes.length} bytes passed`);

    writeFileSync(blobPath(ts, m.digest), altered.subarray(0, 100));
    const r3 = await use(ts, grantId, m.materialId);
    const truncated = await call(ts, 'verifier', 'GET', `/v1/materials/${m.materialId}/content?receipt=${r3.receiptId}`);
    t.equal(truncated.body.code, 'INTEGRITY_FAILED', 'a size change is refused too');
  });

  t.test('Idempotency-Key on grants', async (t) => {
    const m = await material(ts, owner);
    const key = { 'idempotency-key': `grant-${Date.now()}` };
    const body = grantBody(owner);
    const first = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, body, key);
    const replay = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, body, key);
    t.equal(replay.headers.get('idempotent-replayed'), 'true');
    t.same(replay.body, first.body, 'one grant');
    const other = await call(ts, 'portal', 'POST', `/v1/materials/${m.materialId}/grants`, { ...body, maxUses: 3 }, key);
    t.equal(other.body.code, 'IDEMPOTENCY_CONFLICT');
  });
});
