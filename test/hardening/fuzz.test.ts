/**
 * Schema-guided fuzzing of every route of the gateway and the verifier (fuzz-requests.ts): each
 * hostile request must be answered — within a deadline — by a 4xx problem+json with a code, never
 * a 5xx, and a refused request must leave the ledger and every store exactly as they were.
 *
 *   LC_FUZZ_SEED=<seed> LC_FUZZ_RUNS=<n> npx tap build/test/hardening/fuzz.test.js
 *
 * A failure prints the seed and the shrunk request; the same seed replays it. The full run of
 * 10 000 requests is `node build/bench/fuzz.js`.
 */
import fc from 'fast-check';
import t from 'tap';
import { startTestSystem } from '../support/system';
import { makeFixtures } from './fixtures';
import { fuzzRequests } from './fuzz-requests';
import { FuzzClient, Tally, dictionaryOf, explain, loadOperations } from './fuzz-run';

const seed = Number(process.env.LC_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.LC_FUZZ_RUNS ?? 1000);

t.test(`hostile requests to every route (seed ${seed}, ${runs} requests)`, async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const fixtures = await makeFixtures(ts);
  const operations = await loadOperations(ts);
  t.ok(operations.length >= 40, `${operations.length} operations from the two OpenAPI documents`);
  t.ok(operations.some((op) => op.multipart), 'multipart bodies are documented');

  const client = new FuzzClient(ts);
  t.teardown(() => client.close());
  const tally = new Tally();
  const started = performance.now();
  try {
    await fc.assert(
      fc.asyncProperty(fuzzRequests(operations, { tokens: ts.tokens, dictionary: dictionaryOf(ts, fixtures) }), async (request) => {
        const outcome = await client.run(request);
        tally.add(outcome);
        if (outcome.problem) throw new Error(explain(outcome));
      }),
      { seed, numRuns: runs, endOnFailure: false },
    );
    t.pass(`${runs} hostile requests refused cleanly`);
  } catch (error) {
    t.fail(`seed ${seed}: ${(error as Error).message}`);
  }
  t.comment(`${tally.failures.length === 0 ? runs : 'some'} requests in ${Math.round(performance.now() - started)} ms; by answer:\n${Tally.lines(tally.byAnswer).join('\n')}`);
});
