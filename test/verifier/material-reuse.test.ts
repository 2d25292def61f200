/**
 * Material verification and reuse without resubmission (复用免交) against the real embedded system:
 * the portal registers a holder's file and grants it; the verifier's own identity consumes a use,
 * the custodian delivers, and the bytes are released only when their SM3 equals the ledger's.
 * Every refusal is produced for real: no grant, another purpose, expired, revoked, exhausted,
 * another organisation's grant, bytes altered on the custodian's disk or in flight.
 */
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestOf } from '../../domain/digest';
import { openMaterialDelivery } from '../../gateway/material-delivery';
import type { FsMaterialStore } from '../../gateway/material-store';
import { FunctionMaterialSource } from '../../verifier/material-source';
import { createVerifierApp } from '../../verifier/verifier-app';
import { startVerifierSystem } from './support';

const HOLDER = { codeType: '111', code: '11010519491231002X' };
const PURPOSE = '社会保险登记业务办理';

/** A small PDF-looking file, different every call. */
function pdfBytes(size = 200_000): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(size), Buffer.from('\n%%EOF\n')]);
}

function sm3Base64(bytes: Buffer): string {
  return createHash('sm3').update(bytes).digest('base64');
}

t.test('material verification and reuse', async (t) => {
  const sys = await startVerifierSystem(t);
  const store = sys.ts.system.gateway.lc.materials as FsMaterialStore;

  const upload = async (bytes: Buffer): Promise<{ materialId: string; digest: string }> => {
    const form = new FormData();
    form.append('holderCodeType', HOLDER.codeType);
    form.append('holderCode', HOLDER.code);
    form.append('kind', '身份证明');
    form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'id-card.pdf');
    const res = await fetch(`${sys.gatewayUrl}/v1/materials`, { method: 'POST', headers: sys.auth('portal'), body: form });
    const body = (await res.json()) as { materialId: string; digest: string };
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const grant = async (materialId: string, overrides: Record<string, unknown> = {}): Promise<string> => {
    const res = await sys.call(
      'gateway',
      'POST',
      `/v1/materials/${materialId}/grants`,
      { holder: HOLDER, grantee: 'VerifierMSP', purpose: PURPOSE, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), maxUses: 5, ...overrides },
      'portal',
    );
    if (res.status !== 201) throw new Error(`grant answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.grantId as string;
  };
  const reuse = (body: Record<string, unknown>, url = sys.verifierUrl, who: 'verifier' | null = 'verifier') =>
    fetch(`${url}/v1/reuse`, { method: 'POST', headers: { 'content-type': 'application/json', ...(who ? sys.auth(who) : {}) }, body: JSON.stringify(body) });

  const bytes = pdfBytes();
  const material = await upload(bytes);

  t.test('verify a material by file or digest: registered, state, custodian — no owner data', async (t) => {
    const anonymous = await sys.call('verifier', 'POST', '/v1/verify/material', { digest: material.digest });
    t.equal(anonymous.status, 401, 'needs a verifier token');

    const form = new FormData();
    form.append('file', new Blob([bytes]), 'whatever.pdf');
    const byFile = await fetch(`${sys.verifierUrl}/v1/verify/material`, { method: 'POST', headers: sys.auth('verifier'), body: form });
    const found = (await byFile.json()) as Record<string, unknown>;
    t.equal(byFile.status, 200);
    t.match(found, { registered: true, digest: material.digest, materialId: material.materialId, status: 'ACTIVE', disputed: false, custodian: 'PortalMSP' });
    t.match(found.registeredAt, /^\d{4}-\d{2}-\d{2}T/);
    t.notOk('ownerRef' in found, 'no owner reference');
    t.notOk(JSON.stringify(found).includes(HOLDER.code), 'no holder code');

    const byDigest = await sys.call('verifier', 'POST', '/v1/verify/material', { digest: material.digest }, 'verifier');
    t.same(byDigest.body, found, 'the digest answers the same');

    const unknown = await sys.call('verifier', 'POST', '/v1/verify/material', { digest: digestOf('never registered') }, 'verifier');
    t.match(unknown.body, { registered: false, status: null, custodian: null, disputed: false });
    const bad = await sys.call('verifier', 'POST', '/v1/verify/material', { digest: 'sm3:xyz' }, 'verifier');
    t.equal(bad.status, 400);
  });

  t.test('reuse under a live grant: the verified bytes, the receipt id and Repr-Digest', async (t) => {
    const grantId = await grant(material.materialId, { maxUses: 2 });
    const res = await reuse({ materialId: material.materialId, grantId, purpose: PURPOSE });
    t.equal(res.status, 200);
    const got = Buffer.from(await res.arrayBuffer());
    t.ok(got.equals(bytes), 'the exact bytes');
    t.equal(res.headers.get('content-type'), 'application/pdf');
    t.equal(res.headers.get('repr-digest'), `sm3=:${sm3Base64(bytes)}:`, 'RFC 9530 Repr-Digest');
    const receiptId = res.headers.get('x-receipt-id');
    t.match(receiptId, /^[0-9a-f]{64}$/, 'the receipt id is the transaction id');
    const receipt = await sys.call('gateway', 'GET', `/v1/holders/receipts?codeType=${HOLDER.codeType}&code=${HOLDER.code}`, undefined, 'portal');
    t.ok(JSON.stringify(receipt.body).includes(receiptId as string), 'the holder sees the receipt');

    t.equal((await reuse({ materialId: material.materialId, grantId, purpose: PURPOSE })).status, 200, 'second use');
    const third = await reuse({ materialId: material.materialId, grantId, purpose: PURPOSE });
    t.equal(third.status, 403);
    t.equal(((await third.json()) as { code: string }).code, 'GRANT_EXHAUSTED', 'exhausted');
  });

  t.test('refusals keep the chaincode codes', async (t) => {
    const code = async (res: Response): Promise<string> => ((await res.json()) as { code: string }).code;

    const none = await reuse({ materialId: material.materialId, grantId: 'no-such-grant', purpose: PURPOSE });
    t.equal(none.status, 403);
    t.equal(await code(none), 'GRANT_INVALID', 'no grant');

    const grantId = await grant(material.materialId);
    t.equal(await code(await reuse({ materialId: material.materialId, grantId, purpose: '另一事由' })), 'GRANT_INVALID', 'another purpose');

    const foreign = await grant(material.materialId, { grantee: 'AgencyAMSP' });
    t.equal(await code(await reuse({ materialId: material.materialId, grantId: foreign, purpose: PURPOSE })), 'GRANT_INVALID', "another organisation's grant");

    const revoked = await grant(material.materialId);
    const revoke = await sys.call('gateway', 'DELETE', `/v1/grants/${revoked}?codeType=${HOLDER.codeType}&code=${HOLDER.code}`, undefined, 'portal');
    t.equal(revoke.status, 200);
    t.equal(await code(await reuse({ materialId: material.materialId, grantId: revoked, purpose: PURPOSE })), 'GRANT_INVALID', 'revoked');

    const shortLived = await grant(material.materialId, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await sleep(2000);
    const expired = await reuse({ materialId: material.materialId, grantId: shortLived, purpose: PURPOSE });
    t.equal(expired.status, 403);
    t.equal(await code(expired), 'GRANT_EXPIRED', 'expired');

    const anonymous = await reuse({ materialId: material.materialId, grantId, purpose: PURPOSE }, sys.verifierUrl, null);
    t.equal(anonymous.status, 401, 'needs a token');
    const malformed = await fetch(`${sys.verifierUrl}/v1/reuse`, { method: 'POST', headers: { 'content-type': 'application/json', ...sys.auth('verifier') }, body: JSON.stringify({ materialId: material.materialId }) });
    t.equal(malformed.status, 400);
  });

  t.test('bytes altered on the custodian\'s disk are never returned: INTEGRITY_FAILED', async (t) => {
    const original = pdfBytes(50_000);
    const other = await upload(original);
    const path = store.pathOf(other.digest);
    const altered = Buffer.from(readFileSync(path));
    altered[100] = (altered[100] as number) ^ 0xff; // same size, one byte flipped
    writeFileSync(path, altered);
    const grantId = await grant(other.materialId);
    const res = await reuse({ materialId: other.materialId, grantId, purpose: PURPOSE });
    t.equal(res.status, 502);
    t.match(res.headers.get('content-type'), /application\/problem\+json/);
    const body = (await res.json()) as { code: string };
    t.equal(body.code, 'INTEGRITY_FAILED');
    t.match(res.headers.get('x-receipt-id'), /^[0-9a-f]{64}$/, 'the use was recorded: the receipt is named');
    writeFileSync(path, original);
  });

  t.test("bytes altered in flight are caught by the verifier's own check and logged", async (t) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const real = sys.ts.system.verifier.verifier.options;
    const gateway = sys.ts.system.gateway;
    // A custodian path that flips one byte on the way: what a broken proxy or a tampering
    // custodian would hand over.
    const tampering = new FunctionMaterialSource(async (r) => {
      const delivery = await openMaterialDelivery(gateway, r.grantee, r.materialId, r.receiptId);
      let first = true;
      const flip = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (first) {
            chunk = Buffer.from(chunk);
            chunk[20] = (chunk[20] as number) ^ 0x01;
            first = false;
          }
          callback(null, chunk);
        },
      });
      return { ...delivery, stream: delivery.stream.pipe(flip) };
    });
    const app = await createVerifierApp({ ...real, materialSource: tampering, dataDir: join(sys.ts.dataDir, 'verifier-tamper'), logger: { level: 'error', stream: sink } });
    t.teardown(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const grantId = await grant(material.materialId);
    const res = await reuse({ materialId: material.materialId, grantId, purpose: PURPOSE }, url);
    t.equal(res.status, 502);
    t.equal(((await res.json()) as { code: string }).code, 'INTEGRITY_FAILED');
    const receiptId = res.headers.get('x-receipt-id') as string;
    const logged = lines.find((l) => l.includes('do not match the ledger digest'));
    t.ok(logged, 'the failure is logged');
    t.ok(logged?.includes(receiptId), 'with the receipt id');
    t.same(readdirSync(join(sys.ts.dataDir, 'verifier-tamper', 'deliveries')), [], 'the temporary copy is gone');
  });

  t.test('a dispute accepted on a material shows as disputed', async (t) => {
    const raised = await sys.call('gateway', 'POST', '/v1/disputes', { subject: { kind: 'material', id: material.materialId }, reason: '材料信息有误' }, 'verifier');
    t.equal(raised.status, 201);
    t.equal((await sys.call('gateway', 'POST', `/v1/disputes/${raised.body.disputeId}/accept`, {}, 'admin')).status, 200);
    const res = await sys.call('verifier', 'POST', '/v1/verify/material', { digest: material.digest }, 'verifier');
    t.equal(res.body.disputed, true);
  });
});
