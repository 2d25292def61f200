/**
 * The verification facts cache: over HTTP against the real embedded system (a second verification
 * is answered from the cache; every ledger change that matters is seen at once), and its rules on
 * their own with an event source the test drives (a read under way when an event arrives is not
 * kept; a failed event stream turns the cache off until it is back).
 */
import t from 'tap';
import type { ChaincodeEvent, CloseableAsyncIterable } from '../../ledger/client';
import { FactsCache, type ChaincodeEventSource } from '../../verifier/facts-cache';
import { checkOf, startVerifierSystem } from './support';

t.test('over HTTP: cached until the ledger says otherwise', async (t) => {
  const sys = await startVerifierSystem(t);

  t.test('a second verification comes from the cache and names the height its facts were read at', async (t) => {
    const issued = await sys.issue(t);
    const first = await sys.verifyQr(issued.identifier, issued.digest);
    t.equal(first.body.verified, true);
    t.equal(first.body.cached, false, 'first: read from the ledger');
    const second = await sys.verifyQr(issued.identifier, issued.digest);
    t.equal(second.body.verified, true);
    t.equal(second.body.cached, true, 'second: from the cache');
    t.equal(second.body.blockHeight, first.body.blockHeight, 'with the height of the read');
    const other = await sys.issue(t);
    const third = await sys.verifyQr(issued.identifier, issued.digest);
    t.equal(third.body.cached, true, 'another license issued changes nothing of this one');
    t.ok((await sys.verifyQr(other.identifier, other.digest)).body.blockHeight > first.body.blockHeight);
  });

  t.test('status changes, disputes and seal changes are seen by the very next verification', async (t) => {
    const issued = await sys.issue(t);
    await sys.verify(issued.document);
    t.equal((await sys.verify(issued.document)).body.cached, true, 'document facts cached');

    await sys.status(t, issued.identifier, 'suspend');
    let res = await sys.verify(issued.document);
    t.equal(res.body.code, 'SUSPENDED');
    t.equal(res.body.cached, false);
    await sys.status(t, issued.identifier, 'resume');
    t.equal((await sys.verify(issued.document)).body.verified, true);
    t.equal((await sys.verify(issued.document)).body.cached, true);

    const raised = await sys.call('gateway', 'POST', '/v1/disputes', { subject: { kind: 'license', id: issued.identifier }, reason: '住所信息有误' }, 'verifier');
    t.equal(raised.status, 201);
    const accepted = await sys.call('gateway', 'POST', `/v1/disputes/${encodeURIComponent(raised.body.disputeId)}/accept`, {}, 'admin');
    t.equal(accepted.status, 200);
    res = await sys.verify(issued.document);
    t.equal(res.body.code, 'DISPUTED', 'a dispute event drops the cached facts');
    t.equal(checkOf(res.body, 'dispute').ok, false);

    const renewed = await sys.call('gateway', 'POST', `/v1/licenses/${encodeURIComponent(issued.identifier)}/versions`, {
      operation: 'correct',
      changes: { fields: { 经营场所: '上海市浦东新区世纪大道100号' } },
      reason: '异议核实后更正',
      disputeId: raised.body.disputeId,
    }, 'issuerA');
    t.equal(renewed.status, 201, JSON.stringify(renewed.body));
    res = await sys.verify(issued.document);
    t.equal(res.body.code, 'SUPERSEDED', 'a new version supersedes the cached one at once');
  });

  t.test('the cache reports itself in /metrics', async (t) => {
    const res = await fetch(`${sys.verifierUrl}/metrics`);
    const text = await res.text();
    t.match(text, /lc_verifier_facts_cache_total\{result="hit"[^}]*\} [1-9]/);
    t.match(text, /lc_verifier_facts_cache_entries\{live="1"/);
  });
});

/** Events the test pushes; `fail()` ends the stream with an error. */
class DrivenEvents implements ChaincodeEventSource {
  subscriptions = 0;
  #push: ((event: ChaincodeEvent) => void) | undefined;
  #fail: ((error: Error) => void) | undefined;

  async getChaincodeEvents(): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
    this.subscriptions++;
    const queue: ChaincodeEvent[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    let closed = false;
    this.#push = (event) => {
      queue.push(event);
      wake?.();
    };
    this.#fail = (error) => {
      failure = error;
      wake?.();
    };
    async function* events(): AsyncGenerator<ChaincodeEvent> {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as ChaincodeEvent;
        if (failure) throw failure;
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    const iterable = events();
    return { [Symbol.asyncIterator]: () => iterable, close: () => ((closed = true), wake?.()) };
  }

  push(eventName: string, payload: Record<string, unknown>): void {
    this.#push?.({ blockNumber: 1, transactionId: 'tx', chaincodeName: 'licensechain', eventName, payload: Buffer.from(JSON.stringify(payload)) });
  }

  fail(): void {
    this.#fail?.(new Error('stream broke'));
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('the rules, with events the test drives', async (t) => {
  const events = new DrivenEvents();
  const cache = new FactsCache<string>({ events, retryMs: 20 });
  t.teardown(() => cache.close());
  await cache.start();
  let reads = 0;
  const read = (facts: string | undefined) => async () => {
    reads++;
    return { facts, height: 7 };
  };

  t.equal((await cache.get('k1', 'L1', read('a'))).cached, false);
  t.same(await cache.get('k1', 'L1', read('b')), { facts: 'a', height: 7, cached: true }, 'kept');
  t.equal((await cache.get('k0', 'L0', read(undefined))).facts, undefined);
  t.equal((await cache.get('k0', 'L0', read('now there'))).cached, false, '"not on the ledger" is never kept');

  events.push('LicenseIssued', { identifier: 'L9' });
  await turn();
  t.equal((await cache.get('k1', 'L1', read('c'))).cached, true, 'a harmless event keeps entries');

  events.push('LicenseStatusChanged', { identifier: 'L1', status: 'SUSPENDED' });
  await turn();
  t.same(await cache.get('k1', 'L1', read('d')), { facts: 'd', height: 7, cached: false }, 'the license named is dropped');
  t.equal((await cache.get('k0', 'L0', read('x'))).cached, true, 'other licenses stay');

  // A read under way when an event arrives must not be kept: it may predate the event.
  let release: (() => void) | undefined;
  const slow = cache.get('k2', 'L2', async () => {
    await new Promise<void>((resolve) => (release = resolve));
    return { facts: 'stale', height: 7 };
  });
  await turn();
  events.push('DisputeRaised', { disputeId: 'D1', subjectKind: 'license', subjectId: 'L2' });
  await turn();
  release?.();
  t.equal((await slow).facts, 'stale', 'the reader still gets its answer');
  t.equal((await cache.get('k2', 'L2', read('fresh'))).facts, 'fresh', 'but it was not kept');
  t.equal((await cache.get('k0', 'L0', read('y'))).facts, 'y', 'an event of unknown scope drops everything');

  events.push('SomethingNew', {});
  await turn();
  t.equal((await cache.get('k2', 'L2', read('z'))).facts, 'z', 'unknown events drop everything');

  // The stream fails: nothing is served from the cache until it is subscribed again.
  t.equal((await cache.get('k2', 'L2', read('w'))).cached, true);
  events.fail();
  await turn();
  t.equal(cache.stats.live, false);
  const before = reads;
  t.equal((await cache.get('k2', 'L2', read('v'))).cached, false, 'bypassed while down');
  t.equal((await cache.get('k2', 'L2', read('v'))).cached, false, 'and not filled while down');
  t.equal(reads, before + 2);
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.equal(events.subscriptions, 2, 'subscribed again');
  t.equal(cache.stats.live, true);
  await cache.get('k2', 'L2', read('u'));
  t.equal((await cache.get('k2', 'L2', read('t'))).facts, 'u', 'used again once back');
});

t.test('bounded: oldest out first, and entries expire', async (t) => {
  const events = new DrivenEvents();
  let now = 0;
  const cache = new FactsCache<number>({ events, maxEntries: 3, maxAgeMs: 1000, now: () => now });
  t.teardown(() => cache.close());
  await cache.start();
  for (let n = 0; n < 5; n++) await cache.get(`k${n}`, `L${n}`, async () => ({ facts: n, height: 1 }));
  t.equal(cache.size, 3);
  t.equal((await cache.get('k0', 'L0', async () => ({ facts: 100, height: 2 }))).cached, false, 'the oldest went first');
  t.equal((await cache.get('k4', 'L4', async () => ({ facts: 104, height: 2 }))).cached, true);
  now = 1001;
  t.equal((await cache.get('k4', 'L4', async () => ({ facts: 204, height: 3 }))).facts, 204, 'expired after maxAgeMs');
});
