/**
 * JsonStore: writes of one turn go as one synced batch, applied in the order they were made; each
 * resolves when durable; close waits for them; getMany reads in order; count filters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { JsonStore } from '../../service/json-store';

function temp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lc-json-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('writes of one turn, in order', async (t) => {
  const dir = temp(t);
  let store = new JsonStore<{ n: number }>(dir);
  await store.open();
  await Promise.all([
    store.put('a', { n: 1 }),
    store.putMany([
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ]),
    store.delete('b'), // after its put: gone
    store.delete('d'),
    store.put('d', { n: 4 }), // after its delete: kept
    store.put('a', { n: 5 }), // the last put wins
  ]);
  t.same(await store.getMany(['a', 'b', 'c', 'd', 'e']), [{ n: 5 }, undefined, { n: 3 }, { n: 4 }, undefined]);
  t.same(await store.get('c'), { n: 3 });
  t.equal(await store.count(), 3);
  t.equal(await store.count((key) => key !== 'a'), 2);
  t.same(await store.getMany([]), []);

  // Written and not awaited: close waits, and the records are there after reopening.
  const pending = store.put('late', { n: 6 });
  await store.close();
  await pending;
  store = new JsonStore<{ n: number }>(dir);
  await store.open();
  t.teardown(() => store.close());
  t.same(await store.get('late'), { n: 6 });
});

t.test('a failed batch fails every write in it', async (t) => {
  const store = new JsonStore<{ n: number }>(temp(t));
  await store.open();
  const circular: { n: number; self?: unknown } = { n: 1 };
  circular.self = circular;
  t.throws(() => store.put('x', circular), 'a record that is not JSON fails at once');
  await store.close();
  const results = await Promise.allSettled([store.put('a', { n: 1 }), store.delete('b')]);
  t.same(results.map((r) => r.status), ['rejected', 'rejected'], 'the database is closed');
});
