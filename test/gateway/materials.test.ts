/**
 * Material registration over real HTTP against the real embedded system: uploads by the portal
 * and by an issuer, dedupe, the ledger record, every refusal of a bad upload (role, multipart
 * shape, fields, media type, size) leaving nothing behind, and Idempotency-Key replay.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf } from '../../domain/digest';
import { holderRef } from '../../domain/holder-ref';
import { startTestSystem, type TestSystem } from '../support/system';
import { call, citizen, form, holderQuery, pdfBytes, pngBytes, storeFiles, upload, uploadFields } from './material-support';

function blobPath(ts: TestSystem, digest: string): string {
  const hex = digest.slice(4);
  return join(ts.dataDir, 'gateway', 'materials', hex.slice(0, 2), hex.slice(2));
}

/** The code with a wrong check character. */
function wrongCheck(code: string): string {
  return `${code.slice(0, 17)}${code.endsWith('0') ? '1' : '0'}`;
}

t.test('materials', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const holder = citizen(1);

  t.test('the portal uploads a PDF: stored by digest, registered on the ledger', async (t) => {
    const bytes = pdfBytes(10_000);
    const res = await upload(ts, 'portal', uploadFields(holder, '身份证明', 'CASE-1'), { data: bytes, type: 'application/pdf' });
    t.equal(res.status, 201, JSON.stringify(res.body));
    const b = res.body;
    t.match(b, { digest: digestOf(bytes), size: bytes.length, mediaType: 'application/pdf', created: true, custodianMsp: 'PortalMSP', source: 'applicant', kind: '身份证明', caseNo: 'CASE-1', status: 'ACTIVE' });
    t.match(b.materialId, /^mat-/);
    t.type(b.txId, 'string');
    t.type(b.blockNumber, 'number');
    t.notOk('docType' in b, 'undeclared fields do not leak');
    t.same(readFileSync(blobPath(ts, b.digest as string)), bytes, 'content-addressed blob holds the bytes');

    const got = await call(ts, 'portal', 'GET', `/v1/materials/${b.materialId}`);
    t.equal(got.status, 200);
    t.match(got.body, { materialId: b.materialId, digest: b.digest, ownerRef: holderRef(ts.system.demo.holderKey, holder.codeType, holder.code), flags: [] });
    const asVerifier = await call(ts, 'verifier', 'GET', `/v1/materials/${b.materialId}`);
    t.equal(asVerifier.status, 200);
    t.equal(asVerifier.body.ownerRef, null, 'a verifier does not see the owner');
    t.equal((await call(ts, 'portal', 'GET', '/v1/materials/mat-nope')).body.code, 'NOT_FOUND');
    t.equal((await call(ts, 'portal', 'GET', '/v1/materials/bad%20id')).status, 400);
    t.equal((await call(ts, undefined, 'GET', `/v1/materials/${b.materialId}`)).status, 401);
  });

  t.test('the same bytes from the same owner are one material; another owner gets their own', async (t) => {
    const bytes = pngBytes(3000);
    const first = await upload(ts, 'portal', uploadFields(holder), { data: bytes, type: 'image/png', filename: 'a.png' });
    t.equal(first.status, 201);
    const again = await upload(ts, 'portal', uploadFields(holder, 'another kind'), { data: bytes, type: 'image/png', filename: 'b.png' });
    t.equal(again.status, 200, 'existing material');
    t.equal(again.body.materialId, first.body.materialId);
    t.equal(again.body.created, false);
    const other = await upload(ts, 'portal', uploadFields(citizen(2)), { data: bytes, type: 'image/png' });
    t.equal(other.status, 201);
    t.not(other.body.materialId, first.body.materialId);
    const feed = await call(ts, 'portal', 'GET', `/v1/holders/materials?${holderQuery(holder)}`);
    t.equal((feed.body as unknown as unknown[]).filter((m) => (m as { digest: string }).digest === first.body.digest).length, 1);
  });

  t.test('an issuer registers a material it produces', async (t) => {
    const res = await upload(ts, 'issuerA', uploadFields(holder, '核查报告'), { data: pdfBytes(), type: 'application/octet-stream' });
    t.equal(res.status, 201);
    t.match(res.body, { custodianMsp: 'AgencyAMSP', source: 'agency', mediaType: 'application/pdf' });
  });

  t.test('refusals', async (t) => {
    const before = storeFiles(ts);
    const fields = uploadFields(citizen(3));
    const cases: Array<[string, () => Promise<{ status: number; body: { code?: string } }>, number, string]> = [
      ['no token', () => upload(ts, undefined, fields, { data: pdfBytes() }), 401, 'UNAUTHENTICATED'],
      ['a verifier', () => upload(ts, 'verifier', fields, { data: pdfBytes() }), 403, 'FORBIDDEN'],
      ['the auditor', () => upload(ts, 'auditor', fields, { data: pdfBytes() }), 403, 'FORBIDDEN'],
      ['no file', () => call(ts, 'portal', 'POST', '/v1/materials', form(fields)), 400, 'VALIDATION_FAILED'],
      ['two files', () => call(ts, 'portal', 'POST', '/v1/materials', form(fields, { data: pdfBytes() }, { data: pdfBytes() })), 400, 'VALIDATION_FAILED'],
      ['missing holderCode', () => upload(ts, 'portal', { holderCodeType: '111', kind: 'x' }, { data: pdfBytes() }), 400, 'VALIDATION_FAILED'],
      ['missing kind', () => upload(ts, 'portal', { holderCodeType: '111', holderCode: citizen(3).code }, { data: pdfBytes() }), 400, 'VALIDATION_FAILED'],
      ['an unknown field', () => upload(ts, 'portal', { ...fields, colour: 'red' }, { data: pdfBytes() }), 400, 'VALIDATION_FAILED'],
      ['a repeated field', () => {
        const body = form(fields);
        body.append('kind', 'twice');
        body.append('file', new Blob([pdfBytes()], { type: 'application/pdf' }), 'a.pdf');
        return call(ts, 'portal', 'POST', '/v1/materials', body);
      }, 400, 'VALIDATION_FAILED'],
      ['a field after the file', () => {
        const body = form(fields, { data: pdfBytes() });
        body.append('caseNo', 'late');
        return call(ts, 'portal', 'POST', '/v1/materials', body);
      }, 400, 'VALIDATION_FAILED'],
      ['a file part with another name', () => upload(ts, 'portal', fields, { data: pdfBytes(), field: 'document' }), 400, 'VALIDATION_FAILED'],
      ['an invalid holder code', () => upload(ts, 'portal', { ...fields, holderCode: wrongCheck(fields.holderCode as string) }, { data: pdfBytes() }), 400, 'INVALID_HOLDER_CODE'],
      ['an empty file', () => upload(ts, 'portal', fields, { data: Buffer.alloc(0) }), 400, 'VALIDATION_FAILED'],
      ['JSON instead of multipart', () => call(ts, 'portal', 'POST', '/v1/materials', { ...fields }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['text/plain', () => call(ts, 'portal', 'POST', '/v1/materials', undefined, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a PDF declared as PNG', () => upload(ts, 'portal', fields, { data: pdfBytes(), type: 'image/png' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['an unknown type', () => upload(ts, 'portal', fields, { data: Buffer.from('just some text, not a document'), type: 'application/octet-stream' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a plain ZIP', () => upload(ts, 'portal', fields, { data: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200)]), type: 'application/zip' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [name, send, status, code] of cases) {
      const res = await send();
      t.equal(res.status, status, `${name}: ${status}`);
      t.equal(res.body.code, code, `${name}: ${code}`);
    }
    t.same(storeFiles(ts), before, 'no blob or temporary file left behind');
    const feed = await call(ts, 'portal', 'GET', `/v1/holders/materials?${holderQuery(citizen(3))}`);
    t.same(feed.body, [], 'nothing registered');
  });

  t.test('the routes are in the OpenAPI document', async (t) => {
    const doc = (await (await fetch(`${ts.gatewayUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ['/v1/materials', '/v1/materials/{materialId}', '/v1/materials/{materialId}/content', '/v1/materials/{materialId}/grants', '/v1/grants/{grantId}', '/v1/holders/receipts', '/v1/disputes', '/v1/disputes/{disputeId}/resolve']) {
      t.ok(path in doc.paths, path);
    }
  });

  t.test('an OFD (a ZIP whose root holds OFD.xml) is recognised', async (t) => {
    const name = Buffer.from('OFD.xml');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(name.length, 26);
    const ofd = Buffer.concat([header, name, Buffer.from('<ofd:OFD/>')]);
    const res = await upload(ts, 'portal', uploadFields(citizen(4)), { data: ofd, type: 'application/ofd', filename: 'a.ofd' });
    t.equal(res.status, 201, JSON.stringify(res.body));
    t.equal(res.body.mediaType, 'application/ofd');
  });

  t.test('Idempotency-Key: the same upload replays, another file conflicts', async (t) => {
    const bytes = pdfBytes(5000);
    const key = { 'idempotency-key': `upload-${Date.now()}` };
    const fields = uploadFields(citizen(5));
    const first = await upload(ts, 'portal', fields, { data: bytes }, key);
    t.equal(first.status, 201);
    const replay = await upload(ts, 'portal', fields, { data: bytes }, key);
    t.equal(replay.status, 201);
    t.equal(replay.headers.get('idempotent-replayed'), 'true');
    t.same(replay.body, first.body, 'the first answer, as it was');
    const other = await upload(ts, 'portal', fields, { data: pdfBytes(5000) }, key);
    t.equal(other.status, 409);
    t.equal(other.body.code, 'IDEMPOTENCY_CONFLICT');
    const otherFields = await upload(ts, 'portal', { ...fields, kind: 'other' }, { data: bytes }, key);
    t.equal(otherFields.body.code, 'IDEMPOTENCY_CONFLICT');
    t.notOk(storeFiles(ts).some((f) => f.startsWith('tmp')), 'refused replays leave no staged file');
  });
});

t.test('an upload over maxUploadBytes is 413 and leaves nothing behind', async (t) => {
  const limit = 64 * 1024;
  const ts = await startTestSystem({ config: { maxUploadBytes: limit } });
  t.teardown(() => ts.close());
  const holder = citizen(9);
  const over = await upload(ts, 'portal', uploadFields(holder), { data: pdfBytes(limit * 3) });
  t.equal(over.status, 413);
  t.equal(over.body.code, 'PAYLOAD_TOO_LARGE');
  const justOver = await upload(ts, 'portal', uploadFields(holder), { data: pdfBytes(limit + 1) });
  t.equal(justOver.status, 413, 'one byte over');
  t.same(storeFiles(ts), [], 'no blob, no temporary file');
  const feed = await call(ts, 'portal', 'GET', `/v1/holders/materials?${holderQuery(holder)}`);
  t.same(feed.body, [], 'nothing registered');
  const exact = await upload(ts, 'portal', uploadFields(holder), { data: pdfBytes(limit) });
  t.equal(exact.status, 201, 'exactly the limit is accepted');
  t.ok(existsSync(blobPath(ts, exact.body.digest as string)));
});
