/**
 * Back-pressure on writes (LC_MAX_INFLIGHT_SUBMITS, service/submit-gate.ts) over real HTTP: with
 * the bound reached, the next state-changing request is refused at once with `503 OVERLOADED`
 * and `Retry-After` — never queued —, while reads, invalid requests and the other service go on;
 * once the writes in flight finish, writes are accepted again.
 *
 * Slow writes: the system is restarted on its data with blocks cut only every 4 s, so that each
 * submit waits for its block.
 */
import t from 'tap';
import { usccCheckCharacter } from '../../domain/holder-code';
import { loadConfig } from '../../system/config';
import { DEFAULT_MAX_INFLIGHT_SUBMITS, SubmitGate } from '../../service/submit-gate';
import { startTestSystem } from '../support/system';

// Long enough that, on a loaded machine, both slow writes still wait for their block when checked.
const BLOCK_EVERY_MS = 4000;

let n = 0;
function orgBody(): Record<string, unknown> {
  n += 1;
  const first17 = `12310000MB${String(Date.now() % 1e5).padStart(5, '0')}${String(n).padStart(2, '0')}`;
  return { msp: `Gated${Date.now()}${n}MSP`, name: `背压测试单位${n}`, code: `${first17}${usccCheckCharacter(first17)}`, roles: ['verifier'], areaCode: '310000' };
}

t.test('the gate: slots without a queue', async (t) => {
  const gate = new SubmitGate(2);
  const first = gate.tryAcquire();
  const second = gate.tryAcquire();
  t.ok(first && second);
  t.equal(gate.tryAcquire(), undefined, 'full');
  first?.();
  first?.();
  t.equal(gate.inflight, 1, 'a release counts once');
  t.ok(gate.tryAcquire(), 'a slot again');
  t.throws(() => new SubmitGate(0));
  t.equal(loadConfig({}).maxInflightSubmits, DEFAULT_MAX_INFLIGHT_SUBMITS);
  t.equal(loadConfig({ LC_MAX_INFLIGHT_SUBMITS: '8' }).maxInflightSubmits, 8);
  t.throws(() => loadConfig({ LC_MAX_INFLIGHT_SUBMITS: '0' }), /LC_MAX_INFLIGHT_SUBMITS/);
});

t.test('two writes in flight at most: the third is refused at once', async (t) => {
  // The demo consortium is set up at normal speed, then the system restarts with slow blocks.
  const first = await startTestSystem();
  const dataDir = first.dataDir;
  await first.system.close();
  const logs: string[] = [];
  const ts = await startTestSystem({
    dataDir,
    config: { maxInflightSubmits: 2, blockCutter: { maxTransactions: 10_000, timeoutMs: BLOCK_EVERY_MS } },
    logger: { level: 'info', stream: { write: (line: string) => void logs.push(line) } },
  });
  t.teardown(async () => {
    await ts.close();
    await first.close();
  });
  const gate = ts.system.gateway.submitGate;
  t.equal(gate.max, 2);

  const slow = [ts.request('POST', '/v1/orgs', { as: 'admin', body: orgBody() }), ts.request('POST', '/v1/orgs', { as: 'admin', body: orgBody() })];
  const deadline = Date.now() + 5000;
  while (gate.inflight < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.equal(gate.inflight, 2, 'both writes hold a slot while they wait for their block');

  const started = performance.now();
  const refused = await ts.request('POST', '/v1/orgs', { as: 'admin', body: orgBody() });
  const ms = performance.now() - started;
  t.equal(refused.status, 503);
  t.equal(refused.body.code, 'OVERLOADED');
  t.match(refused.headers.get('content-type'), /^application\/problem\+json/);
  t.equal(refused.headers.get('retry-after'), '1');
  t.ok(ms < BLOCK_EVERY_MS / 2, `refused in ${Math.round(ms)} ms, not queued behind the block`);
  t.equal(gate.inflight, 2, 'the refusal took no slot');
  const logged = logs.map((line) => JSON.parse(line) as { level: number; code?: string; err?: unknown }).filter((entry) => entry.code === 'OVERLOADED');
  t.equal(logged.length, 1, 'the refusal is logged once');
  t.equal(logged[0]?.level, 40, 'at warn: back-pressure working, not a failure');
  t.notOk(logged[0]?.err, 'without an error and its stack');

  t.equal((await ts.request('GET', '/v1/orgs', { as: 'auditor' })).status, 200, 'reads go on');
  t.equal((await ts.request('POST', '/v1/orgs', { as: 'admin', body: { msp: 'x' } })).status, 400, 'an invalid write is refused for what it is, without a slot');
  const verified = await ts.request('POST', '/v1/verify/material', { as: 'verifier', base: ts.verifierUrl, body: { digest: `sm3:${'0'.repeat(64)}` } });
  t.equal(verified.status, 200, "the verifier's read-only POSTs pass");

  const done = await Promise.all(slow);
  t.same(done.map((r) => r.status), [201, 201], 'the writes in flight complete');
  t.equal(gate.inflight, 0, 'and give their slots back');
  t.equal((await ts.request('POST', '/v1/orgs', { as: 'admin', body: orgBody() })).status, 201, 'writes are accepted again');
});
