/**
 * Over HTTP, with a retention of three seconds: the first answer to an Idempotency-Key is replayed
 * while it is kept; once it has expired the key is free again — another request under it runs
 * instead of being refused as IDEMPOTENCY_CONFLICT — and the gateway's own sweep deletes expired
 * answers.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { licenseBody } from '../hardening/fixtures';
import { startTestSystem } from '../support/system';
import { call } from './material-support';

const RETENTION_MS = 3000;

t.test('an idempotent answer is replayed until it expires, then the key is free and the answer swept', async (t) => {
  const ts = await startTestSystem({ config: { idempotencyRetentionMs: RETENTION_MS } });
  t.teardown(() => ts.close());
  const headers = { 'idempotency-key': `retention-${Date.now()}` };
  const one = licenseBody();
  const two = licenseBody();

  const first = await call(ts, 'issuerA', 'POST', '/v1/licenses', one, headers);
  t.equal(first.status, 201, JSON.stringify(first.body));
  const replay = await call(ts, 'issuerA', 'POST', '/v1/licenses', one, headers);
  t.equal(replay.headers.get('idempotent-replayed'), 'true', 'replayed while kept');
  t.equal(replay.body.identifier, first.body.identifier);
  const conflict = await call(ts, 'issuerA', 'POST', '/v1/licenses', two, headers);
  t.equal(conflict.body.code, 'IDEMPOTENCY_CONFLICT', 'another body under a kept key is refused');

  await sleep(RETENTION_MS + 100);
  const again = await call(ts, 'issuerA', 'POST', '/v1/licenses', two, headers);
  t.equal(again.status, 201, `expired: the key runs another request (${JSON.stringify(again.body).slice(0, 200)})`);
  t.equal(again.headers.get('idempotent-replayed'), null);
  t.not(again.body.identifier, first.body.identifier);

  // The gateway sweeps every quarter of the retention (750 ms): sweeps have passed over the first
  // answer's expired index entry since; the key's new answer must have outlived them.
  await sleep(RETENTION_MS / 3);
  const replayAgain = await call(ts, 'issuerA', 'POST', '/v1/licenses', two, headers);
  t.equal(replayAgain.headers.get('idempotent-replayed'), 'true', 'the new answer is kept though the old one was swept');
  t.equal(replayAgain.body.identifier, again.body.identifier);
  t.ok((await ts.system.gateway.lc.idempotency.count()) >= 1);
  // Polled rather than timed to the millisecond: a loaded machine may run the sweep late.
  await sleep(RETENTION_MS);
  const until = Date.now() + 10_000;
  while ((await ts.system.gateway.lc.idempotency.count()) > 0 && Date.now() < until) await sleep(100);
  t.equal(await ts.system.gateway.lc.idempotency.count(), 0, 'every answer expired and the sweep deleted it');
});
