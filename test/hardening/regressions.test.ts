/**
 * The inputs the hardening fuzz (fuzz.test.ts, bench/fuzz.ts) found answered wrongly — a 5xx, a
 * hang, a refusal that was not problem+json, a refusal that left a trace — each replayed exactly,
 * so that a regression fails here deterministically rather than with the luck of a seed.
 */
import t from 'tap';
import { startTestSystem } from '../support/system';
import { makeFixtures, pdf } from './fixtures';
import { type FuzzRequest, send } from './fuzz-requests';

t.test('inputs the fuzz found', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const fx = await makeFixtures(ts);

  /** Sends raw bytes; answers status, problem code and time. */
  const raw = async (service: 'gateway' | 'verifier', method: string, path: string, headers: Record<string, string>, body?: Buffer) => {
    const request: FuzzRequest = { service, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, body, defect: 'regression', route: path, expect: 'refused' };
    const answer = await send(service === 'gateway' ? ts.gatewayUrl : (ts.verifierUrl as string), request, { timeoutMs: 5000 });
    const text = answer.body.toString('utf8');
    const problem = answer.contentType.startsWith('application/problem+json') ? (JSON.parse(text) as { code: string }) : undefined;
    return { status: answer.status, code: problem?.code, ms: answer.ms, text };
  };
  const boundary = 'XyZzy0123';
  const part = (name: string, value: string): string => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const filePart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n${pdf().toString('latin1')}\r\n`;
  const multipart = (type = `multipart/form-data; boundary=${boundary}`) => ({ ...ts.auth('portal'), 'content-type': type });
  const fields = part('holderCodeType', fx.material.holder.codeType) + part('holderCode', fx.material.holder.code) + part('kind', '身份证明');

  t.test('multipart without a boundary: 400, was 500 (busboy throws an uncoded Error)', async (t) => {
    const body = Buffer.from(`${fields}${filePart}--${boundary}--\r\n`, 'latin1');
    for (const [service, path] of [['gateway', '/v1/materials'], ['verifier', '/v1/verify/material']] as const) {
      const res = await raw(service, 'POST', path, multipart('multipart/form-data; charset=utf-8'), body);
      t.same([res.status, res.code], [400, 'MALFORMED_REQUEST'], path);
    }
    const longBoundary = 'b'.repeat(300);
    const res = await raw('verifier', 'POST', '/v1/verify/material', multipart(`multipart/form-data; boundary=${longBoundary}`), Buffer.from(`--${longBoundary}\r\n`));
    t.same([res.status, res.code], [400, 'MALFORMED_REQUEST'], 'a boundary over 254 characters');
  });

  t.test('a multipart body cut inside the file: 400, was 500 on the verifier', async (t) => {
    const res = await raw('verifier', 'POST', '/v1/verify/material', multipart(), Buffer.from(filePart.slice(0, -100), 'latin1'));
    t.same([res.status, res.code], [400, 'MALFORMED_REQUEST']);
  });

  t.test('an upload cut inside the file, with an Idempotency-Key: 400 at once, was a hang leaking a file handle', async (t) => {
    for (const cut of [1, 50, 300]) {
      const body = Buffer.from(`${fields}${filePart}`, 'latin1');
      const res = await raw('gateway', 'POST', '/v1/materials', { ...multipart(), 'idempotency-key': `cut-${cut}` }, body.subarray(0, body.length - cut));
      t.same([res.status, res.code], [400, 'MALFORMED_REQUEST'], `cut ${cut} bytes before the end`);
      t.ok(res.ms < 2000, `answered in ${Math.round(res.ms)} ms`);
    }
  });

  t.test('the verifier takes exactly one part, the file: other parts were ignored (200)', async (t) => {
    for (const body of [`${part('note', 'x')}${filePart}--${boundary}--\r\n`, `${filePart}${filePart}--${boundary}--\r\n`, `${part('file', 'x')}--${boundary}--\r\n`]) {
      const res = await raw('verifier', 'POST', '/v1/verify/material', { ...multipart(), ...ts.auth('verifier') }, Buffer.from(body, 'latin1'));
      t.equal(res.status < 500 && res.status >= 400, true, `refused: ${res.status} ${res.code}`);
    }
    const alone = await raw('verifier', 'POST', '/v1/verify/material', { ...multipart(), ...ts.auth('verifier') }, Buffer.from(`${filePart}--${boundary}--\r\n`, 'latin1'));
    t.equal(alone.status, 200, 'the file alone is answered');
  });

  t.test('JSON nested 20 000 deep: 400, was 500 (stack overflow in canonical JSON and ajv)', async (t) => {
    const deep = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const json = { 'content-type': 'application/json' };
    const issue = await raw('gateway', 'POST', '/v1/licenses', { ...json, ...ts.auth('issuerA') }, Buffer.from(`{"fields":${deep(20_000)}}`));
    t.same([issue.status, issue.code], [400, 'MALFORMED_REQUEST'], 'a license');
    const type = await raw('gateway', 'POST', '/v1/license-types', { ...json, ...ts.auth('admin') }, Buffer.from(`{"fieldsSchema":${deep(20_000)}}`));
    t.same([type.status, type.code], [400, 'MALFORMED_REQUEST'], 'a license type');
    const shallow = await raw('verifier', 'POST', '/v1/verify/license', json, Buffer.from(`{"document":${deep(60)}}`));
    t.same([shallow.status, shallow.code], [400, 'INVALID_DOCUMENT'], 'nesting within the limit reaches the route');
  });

  t.test('a seal id the ledger cannot hold: not registered (200), was 500', async (t) => {
    const signature = (fx.license.document as { seal: { signature: string } }).seal.signature;
    const res = await ts.request('POST', '/v1/verify/seal', { base: ts.verifierUrl, body: { signature, digest: fx.license.digest, sealId: '"7v09BX8> 非法' } });
    t.equal(res.status, 200);
    t.equal(res.body.verified, false);
    t.ok(res.body.checks.some((c: { code: string }) => c.code === 'SEAL_NOT_REGISTERED'), 'SEAL_NOT_REGISTERED');
  });

  t.test('refusals of the router are problem+json, and ids of 101–128 characters are routed', async (t) => {
    for (const path of ['/v1/materials/%E0%A4%A', '/v1/disputes/%', '/v1/seals/%ED%A0%80']) {
      const res = await raw('gateway', 'GET', path, ts.auth('admin'));
      t.same([res.status, res.code], [400, 'MALFORMED_REQUEST'], `${path}: was plain JSON FST_ERR_BAD_URL`);
    }
    const id128 = `s${'a'.repeat(127)}`;
    const routed = await raw('gateway', 'GET', `/v1/seals/${id128}`, ts.auth('admin'));
    t.same([routed.status, routed.code], [404, 'NOT_FOUND'], 'a 128-character id: was 414 FST_ERR_MAX_PARAM_LENGTH');
    const tooLong = await raw('gateway', 'GET', `/v1/seals/${'a'.repeat(600)}`, ts.auth('admin'));
    t.same([tooLong.status, tooLong.code], [414, 'URI_TOO_LONG']);
    const huge = await raw('gateway', 'GET', `/v1/holders/licenses?codeType=001&code=${'A'.repeat(40_000)}&purpose=x`, ts.auth('admin'));
    t.same([huge.status, huge.code], [431, 'HEADERS_TOO_LARGE'], 'a request line over the limit: was plain JSON from Node');
  });

  t.test('invalid UTF-8 and lone surrogates are refused, not repaired into U+FFFD', async (t) => {
    const before = ts.system.ledger.height;
    const body = Buffer.concat([Buffer.from(`{"subject":{"kind":"license","id":"${fx.license.identifier}"},"reason":"地址`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await raw('gateway', 'POST', '/v1/disputes', { ...ts.auth('portal'), 'content-type': 'application/json' }, body);
    t.same([res.status, res.code], [400, 'MALFORMED_REQUEST'], 'a dispute reason with bytes that are not UTF-8');
    const lone = await raw('gateway', 'POST', '/v1/disputes', { ...ts.auth('portal'), 'content-type': 'application/json' }, Buffer.from(`{"subject":{"kind":"license","id":"${fx.license.identifier}"},"reason":"\\ud800"}`));
    t.same([lone.status, lone.code], [400, 'MALFORMED_REQUEST'], 'a lone surrogate');
    t.equal(ts.system.ledger.height, before, 'no dispute was raised');
  });

  t.test('a refused request with an Idempotency-Key is not remembered: its retry runs again', async (t) => {
    const before = await ts.system.gateway.lc.idempotency.count();
    const headers = { 'idempotency-key': `regression-${Date.now()}` };
    const refused = await ts.request('POST', `/v1/licenses/${fx.license.identifier}/status`, { as: 'issuerA', headers, body: { action: 'resume', reason: '恢复' } });
    t.same([refused.status, refused.body.code], [409, 'LICENSE_STATE'], 'an active license cannot be resumed');
    t.equal(await ts.system.gateway.lc.idempotency.count(), before, 'nothing stored');
    t.equal((await ts.request('POST', `/v1/licenses/${fx.license.identifier}/status`, { as: 'issuerA', body: { action: 'suspend', reason: '暂停' } })).status, 200);
    const retried = await ts.request('POST', `/v1/licenses/${fx.license.identifier}/status`, { as: 'issuerA', headers, body: { action: 'resume', reason: '恢复' } });
    t.equal(retried.status, 200, 'the same key and body, once the state allows it: done, not the old refusal replayed');
    t.equal(await ts.system.gateway.lc.idempotency.count(), before + 1, 'the success is stored');
  });
});
