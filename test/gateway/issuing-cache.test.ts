/**
 * The issuing cache: answers reused per principal within the TTL, asked again after it, one call
 * for concurrent askers, failures not kept, `forget`, and the record of which answers an attempt used.
 */
import t from 'tap';
import { IssuingCache } from '../../gateway/issuing-cache';
import type { Principal } from '../../service/principal';

const principal = (name: string): Principal => ({ name, mspId: 'AgencyAMSP', role: 'issuer', identityId: name }) as unknown as Principal;

t.test('reuse within the TTL, per principal and key; asked again after it', async (t) => {
  let now = 1_000;
  const cache = new IssuingCache({ ttlMs: 5_000, now: () => now });
  const a = principal('a');
  const b = principal('b');
  let calls = 0;
  const load = async (): Promise<number> => ++calls;
  t.equal(await cache.get(a, 'seal', load), 1);
  t.equal(await cache.get(a, 'seal', load), 1, 'cached');
  t.equal(await cache.get(a, 'type:X', load), 2, 'another key');
  t.equal(await cache.get(b, 'seal', load), 3, 'another principal');
  now += 4_999;
  t.equal(await cache.get(a, 'seal', load), 1, 'still within the TTL');
  now += 1;
  t.equal(await cache.get(a, 'seal', load), 1, 'past the TTL: still the old answer, while a refresh runs');
  t.equal(calls, 4, 'the refresh was asked for');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(await cache.get(a, 'seal', load), 4, 'the refreshed answer, once it came');
  t.equal(calls, 4, 'one refresh only');
  now += 10_000;
  t.equal(await cache.get(b, 'seal', load), 5, 'past twice the TTL: asked again and waited for');
  cache.forget(a);
  t.equal(await cache.get(a, 'seal', load), 6, 'forgotten: asked again');
  t.equal(await cache.get(b, 'seal', load), 5, 'the other principal keeps its answers');
});

t.test('a failed refresh keeps the old answer until twice the TTL; a pending first call is never stale', async (t) => {
  let now = 0;
  const cache = new IssuingCache({ ttlMs: 1_000, now: () => now });
  const a = principal('a');
  let fail = false;
  let calls = 0;
  const load = async (): Promise<number> => {
    calls++;
    if (fail) throw new Error('ledger down');
    return calls;
  };
  t.equal(await cache.get(a, 'seal', load), 1);
  fail = true;
  now = 1_500;
  t.equal(await cache.get(a, 'seal', load), 1, 'stale while the refresh fails');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(await cache.get(a, 'seal', load), 1, 'still the old answer');
  t.equal(calls, 3, 'the failed refresh is tried again');
  now = 2_000;
  await t.rejects(cache.get(a, 'seal', load), /ledger down/, 'at twice the TTL the caller waits for the ledger');
  fail = false;
  let release: (() => void) | undefined;
  const slow = (): Promise<number> => new Promise((resolve) => (release = () => resolve(99)));
  const b = principal('b');
  const first = cache.get(b, 'seal', slow);
  now = 3_500;
  const second = cache.get(b, 'seal', load);
  release?.();
  t.equal(await first, 99);
  t.not(await second, 99, 'a call still pending past the TTL is not served: asked again');
});

t.test('concurrent askers share one call; a failure is not kept', async (t) => {
  const cache = new IssuingCache();
  const a = principal('a');
  let calls = 0;
  let fail = true;
  const load = async (): Promise<string> => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (fail) throw new Error('ledger says no');
    return 'ok';
  };
  const all = await Promise.allSettled([cache.get(a, 'seal', load), cache.get(a, 'seal', load), cache.get(a, 'seal', load)]);
  t.equal(calls, 1, 'one call');
  t.same(all.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  fail = false;
  t.equal(await cache.get(a, 'seal', load), 'ok', 'asked again after the failure');
  t.equal(calls, 2);
});

t.test('used answers: the oldest time an attempt relied on', async (t) => {
  let now = 100;
  const cache = new IssuingCache({ now: () => now });
  const a = principal('a');
  await cache.get(a, 'seal', async () => 's');
  now = 200;
  const used = { oldest: Number.POSITIVE_INFINITY };
  await cache.get(a, 'org', async () => 'o', used);
  t.equal(used.oldest, 200, 'a fresh answer');
  await cache.get(a, 'seal', async () => 'x', used);
  t.equal(used.oldest, 100, 'an answer from before the attempt');
});

t.test('TTL 0 disables caching', async (t) => {
  const cache = new IssuingCache({ ttlMs: 0 });
  let calls = 0;
  await cache.get(principal('a'), 'seal', async () => ++calls);
  await cache.get(principal('a'), 'seal', async () => ++calls);
  t.equal(calls, 2);
});
