/**
 * The full fuzz campaign: `node build/bench/fuzz.js [requests=10000] [seed]`.
 *
 * Starts the embedded system in a temporary folder, makes the fixtures, sends the hostile
 * requests of test/hardening/fuzz-requests.ts one at a time (deterministic for a seed) and
 * prints the answers by status and code, by defect, every contract violation (a 5xx, a hang, a
 * refusal that is not problem+json, a request that left a trace) and the time. Exits 1 on any
 * violation.
 */
import fc from 'fast-check';
import { makeFixtures } from '../test/hardening/fixtures';
import { fuzzRequests } from '../test/hardening/fuzz-requests';
import { FuzzClient, Tally, dictionaryOf, explain, loadOperations } from '../test/hardening/fuzz-run';
import { startTestSystem } from '../test/support/system';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000);
  const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(seed)) {
    console.error('usage: node build/bench/fuzz.js [requests=10000] [seed]');
    process.exit(2);
  }
  const ts = await startTestSystem();
  try {
    const fixtures = await makeFixtures(ts);
    const operations = await loadOperations(ts);
    const requests = fuzzRequests(operations, { tokens: ts.tokens, dictionary: dictionaryOf(ts, fixtures) });
    console.log(`fuzz: ${count} requests over ${operations.length} operations, seed ${seed}`);
    const client = new FuzzClient(ts);
    const tally = new Tally();
    const started = performance.now();
    let sent = 0;
    // Generated in slices: a slice of requests at once would hold megabytes of bodies each.
    for (let offset = 0; offset < count; offset += 500) {
      const slice = fc.sample(requests, { seed: seed + offset, numRuns: Math.min(500, count - offset) });
      for (const request of slice) {
        tally.add(await client.run(request));
        sent += 1;
      }
      process.stderr.write(`\r${sent}/${count}`);
    }
    const seconds = (performance.now() - started) / 1000;
    client.close();
    process.stderr.write('\n');
    console.log(`\n${sent} requests in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)} req/s), ${tally.failures.length} violations\n`);
    console.log('by status and code:');
    console.log(Tally.lines(tally.byAnswer).join('\n'));
    console.log('\nby defect:');
    console.log(Tally.lines(tally.byDefect).join('\n'));
    for (const failure of tally.failures.slice(0, 20)) console.log(`\nVIOLATION ${explain(failure)}`);
    if (tally.failures.length > 0) process.exitCode = 1;
  } finally {
    await ts.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
