/**
 * Idempotent answers are kept for a retention period, then swept: the store must not grow without
 * end, an expired key is free again, and a key answered again after it expired keeps its new
 * answer. Real LevelDB on disk, a clock the test moves.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdempotencyStore, type StoredAnswer } from '../../service/idempotency';
import { JsonStore } from '../../service/json-store';
import { loadConfig } from '../../system/config';

const HOUR = 3_600_000;
const answer = (body: string): StoredAnswer => ({ fingerprint: `fp-${body}`, status: 201, contentType: 'application/json', body });
const key = (n: number): string => n.toString(16).padStart(64, '0');

function setUp(t: Test): { dir: string; clock: { now: number }; open: () => Promise<IdempotencyStore> } {
  const dir = mkdtempSync(join(tmpdir(), 'lc-idempotency-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = { now: Date.UTC(2026, 10, 21) };
  const open = async (): Promise<IdempotencyStore> => {
    const store = new IdempotencyStore(dir, { retentionMs: 24 * HOUR, sweepEveryMs: HOUR, now: () => clock.now });
    await store.open();
    return store;
  };
  return { dir, clock, open };
}

/** Every record on disk, answers and index entries alike. */
async function rawCount(dir: string): Promise<number> {
  const raw = new JsonStore<unknown>(dir);
  await raw.open();
  try {
    return await raw.count();
  } finally {
    await raw.close();
  }
}

t.test('an answer is replayed within the retention and not after it; the sweep deletes it and its index entry', async (t) => {
  const { dir, clock, open } = setUp(t);
  const store = await open();
  await store.put(key(1), answer('one'));
  clock.now += 24 * HOUR - 1;
  t.equal((await store.get(key(1)))?.body, 'one', 'replayed a millisecond before it expires');
  t.equal(await store.sweep(), 0, 'nothing swept yet');
  clock.now += 1;
  t.equal(await store.get(key(1)), undefined, 'expired: the key is free again, swept or not');
  clock.now += 1;
  t.equal(await store.sweep(), 1, 'swept');
  t.equal(await store.count(), 0);
  await store.close();
  t.equal(await rawCount(dir), 0, 'no index entry left behind');
});

t.test('a key answered again after it expired keeps its new answer when the old one is swept', async (t) => {
  const { clock, open } = setUp(t);
  const store = await open();
  t.teardown(() => store.close());
  await store.put(key(2), answer('first'));
  clock.now += 25 * HOUR;
  t.equal(await store.get(key(2)), undefined);
  await store.put(key(2), answer('second'));
  t.equal(await store.sweep(), 0, 'the old index entry goes, the live answer stays');
  t.equal((await store.get(key(2)))?.body, 'second');
  clock.now += 24 * HOUR;
  t.equal(await store.sweep(), 1, 'the new answer expires in its turn');
  t.equal(await store.count(), 0);
});

t.test('an expired key held by a running request is left to the next sweep', async (t) => {
  const { dir, clock, open } = setUp(t);
  const store = await open();
  await store.put(key(3), answer('three'));
  clock.now += 25 * HOUR;
  t.ok(store.claim(key(3)), 'a retry runs under the expired key');
  t.equal(await store.sweep(), 0, 'not deleted while held: the retry may be about to store its answer');
  store.release(key(3));
  t.equal(await store.sweep(), 1, 'the next sweep takes it');
  await store.close();
  t.equal(await rawCount(dir), 0);
});

t.test('a sweep takes every expired answer, in chunks, and leaves the live ones', async (t) => {
  const { dir, clock, open } = setUp(t);
  const store = await open();
  const old = 2_500;
  for (let n = 0; n < old; n++) await store.put(key(n), answer(`old ${n}`));
  clock.now += 12 * HOUR;
  for (let n = old; n < old + 10; n++) await store.put(key(n), answer(`new ${n}`));
  clock.now += 13 * HOUR;
  t.equal(await store.sweep(), old, 'all 2,500 expired answers, many chunks');
  t.equal(await store.count(), 10);
  t.equal((await store.get(key(old + 3)))?.body, `new ${old + 3}`);
  await store.close();
  t.equal(await rawCount(dir), 20, 'the live answers and their index entries');
});

t.test('what expired while the store was closed is swept once it opens', async (t) => {
  const { clock, open } = setUp(t);
  let store = await open();
  await store.put(key(7), answer('seven'));
  await store.close();
  clock.now += 30 * HOUR;
  store = await open();
  t.teardown(() => store.close());
  t.equal(await store.get(key(7)), undefined, 'not replayed, swept yet or not');
  // Opening started a sweep in the background: wait for it without starting another.
  const until = Date.now() + 5000;
  while ((await store.count()) > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(await store.count(), 0, 'swept by the sweep that opening started');
});

t.test('an answer stored before retention existed (no time) is kept and replayed', async (t) => {
  const { dir, clock, open } = setUp(t);
  const raw = new JsonStore<StoredAnswer>(dir);
  await raw.open();
  await raw.put(key(9), answer('legacy'));
  await raw.close();
  const store = await open();
  t.teardown(() => store.close());
  clock.now += 100 * HOUR;
  t.equal(await store.sweep(), 0);
  t.equal((await store.get(key(9)))?.body, 'legacy');
});

t.test('LC_IDEMPOTENCY_RETENTION_HOURS sets the retention; a bad value is refused at start-up', async (t) => {
  t.equal(loadConfig({}).idempotencyRetentionMs, 24 * HOUR, 'a day by default');
  t.equal(loadConfig({ LC_IDEMPOTENCY_RETENTION_HOURS: '72' }).idempotencyRetentionMs, 72 * HOUR);
  t.throws(() => loadConfig({ LC_IDEMPOTENCY_RETENTION_HOURS: '0' }), /LC_IDEMPOTENCY_RETENTION_HOURS/);
  t.throws(() => loadConfig({ LC_IDEMPOTENCY_RETENTION_HOURS: '1.5' }), /LC_IDEMPOTENCY_RETENTION_HOURS/);
});
