/**
 * Nothing waits forever on something else: every ledger call has a deadline (LEDGER_UNAVAILABLE),
 * a metrics scrape survives a ledger that does not answer, and the verifier gives up on a
 * custodian that does not deliver — before answering, or in the middle of the bytes — with
 * `UPSTREAM_UNAVAILABLE` instead of holding the request.
 */
import Fastify from 'fastify';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import type { Ledger } from '../../ledger/client';
import { LedgerUnavailableError } from '../../ledger/errors';
import { withLedgerDeadline } from '../../service/ledger-calls';
import { operationsPlugin } from '../../service/operations';
import { PrincipalRegistry } from '../../service/principal';
import { FunctionMaterialSource, type MaterialDelivery } from '../../verifier/material-source';
import { createVerifierApp } from '../../verifier/verifier-app';
import { startTestSystem } from '../support/system';
import { grant, uploadMaterial } from './fixtures';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

t.test('a ledger call that never answers fails with LEDGER_UNAVAILABLE', async (t) => {
  const started = performance.now();
  await t.rejects(withLedgerDeadline(never(), 'ledger info', 100), LedgerUnavailableError);
  t.ok(performance.now() - started < 1000);
  t.equal(await withLedgerDeadline(Promise.resolve(7), 'x', 100), 7);
});

t.test('metrics and readiness answer while the ledger hangs', async (t) => {
  const ledger = { info: never } as unknown as Ledger;
  const app = Fastify();
  await app.register(operationsPlugin, { ledger, service: 'gateway' });
  t.teardown(() => app.close());
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.body, /lc_http_requests_total/);
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
});

t.test('the verifier gives up on a custodian that does not deliver', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const material = await uploadMaterial(ts);
  const grantId = await grant(ts, material);

  // A verifier beside the real one, on the same ledger and principals, whose custodian stalls.
  let behaviour: 'silent' | 'stalls' = 'silent';
  const source = new FunctionMaterialSource(async (): Promise<MaterialDelivery> => {
    if (behaviour === 'silent') return never();
    const stream = new Readable({ read() {} });
    stream.push(Buffer.from('%PDF-1.7\n')); // then nothing more
    return { stream, size: 521, digest: material.digest, mediaType: 'application/pdf' };
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-timeouts-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const verifierPrincipal = ts.system.principals.principals.find((p) => p.name === 'verifier');
  if (!verifierPrincipal) throw new Error('no verifier principal');
  const app = await createVerifierApp({
    ledger: ts.system.ledger,
    principals: ts.system.principals as PrincipalRegistry,
    publicPrincipal: verifierPrincipal,
    sealTrust: () => ({ trustedRoots: [] }),
    materialSource: source,
    dataDir,
    sealWorkers: 0,
    logger: false,
    deliveryTimeouts: { openMs: 300, idleMs: 300 },
  });
  t.teardown(() => app.close());

  for (const mode of ['silent', 'stalls'] as const) {
    behaviour = mode;
    const started = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/reuse',
      headers: { ...ts.auth('verifier'), 'content-type': 'application/json' },
      payload: { materialId: material.materialId, grantId, purpose: '社保办理' },
    });
    const ms = performance.now() - started;
    t.equal(res.statusCode, 502, `${mode}: 502`);
    t.equal(res.json().code, 'UPSTREAM_UNAVAILABLE', `${mode}: UPSTREAM_UNAVAILABLE`);
    t.ok(res.headers['x-receipt-id'], `${mode}: the receipt of the recorded use is named`);
    t.ok(ms < 3000, `${mode}: answered in ${Math.round(ms)} ms`);
  }
  t.same(readdirSync(join(dataDir, 'deliveries')), [], 'no partial delivery is left behind');
});
