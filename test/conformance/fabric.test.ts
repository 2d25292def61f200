/**
 * One conformance suite, two ledgers: the ledger-level suite and the gateway/verifier end-to-end
 * tests that the embedded ledger passes in every run are run again here against a real
 * Hyperledger Fabric network — brought up for this run from Fabric's binaries (a temporary folder,
 * free ports), seeded once with the demo registry and seals, and taken down at the end.
 *
 * Each file runs in a child `tap` with `LC_TEST_LEDGER=fabric`: its `startTestSystem()` then
 * starts the Fabric system (test/support/system.ts). Left out, and why:
 * - tests of the embedded ledger's own internals (blocks on disk, crash and tamper, cutter),
 *   restarts on the same data folder, and anything reading `system.ledger.height`;
 * - `verifier/facts-cache`: it checks that an embedded event invalidates the cache before the next
 *   request; Fabric delivers events a moment after the commit, so there the cache is off by
 *   default (`LC_FACTS_CACHE`).
 *
 * Without Fabric's binaries (FABRIC_BIN or PATH) the file is skipped with one line.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { fabricMissing } from '../../network/binaries';
import { loadConfig } from '../../system/config';
import { startFabricSystem } from '../../system/fabric-system';
import { freePortBlock } from '../support/free-ports';

const BUILD = join(__dirname, '..', '..');
const CLI = join(BUILD, 'bin', 'licensechain.js');
// tap's command-line entry (its package exports do not list it).
const TAP = join(dirname(require.resolve('tap/package.json')), 'dist', 'esm', 'run.mjs');

/** The suites run on Fabric, in this order (seals first: it expects the demo's seals alone). */
export const FABRIC_SUITES = [
  'ledger/fabric-conformance',
  'gateway/seals',
  'gateway/licenses',
  'gateway/license-batch',
  'gateway/consent',
  'gateway/disputes',
  'gateway/materials',
  'verifier/license-verification',
  'verifier/batch-verification',
  'verifier/seal-verification',
  'verifier/material-reuse',
] as const;

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}


const missing = fabricMissing();
if (missing) {
  t.plan(0, `skipped: Fabric conformance needs Fabric's binaries — ${missing}`);
} else {
  t.test('the conformance suites on a Fabric network', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-fabric-conformance-'));
    const shared = mkdtempSync(join(tmpdir(), 'lc-fabric-shared-'));
    const env = { ...process.env };
    t.teardown(async () => {
      const down = await run([CLI, 'network', 'down', '--dir', dir], env, 120_000);
      if (down.code !== 0) console.error(down.output);
      rmSync(dir, { recursive: true, force: true });
      rmSync(shared, { recursive: true, force: true });
    });

    const up = await run([CLI, 'network', 'up', '--dir', dir, '--base-port', String(await freePortBlock())], env, 180_000);
    t.equal(up.code, 0, 'network up');
    if (up.code !== 0) {
      t.comment(up.output);
      return;
    }

    // Seed once: the demo registry and seals on this ledger, the keyring that holds their keys.
    const seeding = await startFabricSystem(
      loadConfig({}, { dataDir: shared, logLevel: 'silent', gateway: { host: '127.0.0.1', port: 0 }, verifier: { host: '127.0.0.1', port: 0 }, fabricNetworkFile: join(dir, 'network.json') }),
      { listen: false, logger: false },
    );
    t.ok((await seeding.ledger.info()).height > 1, 'demo registry and seals on the Fabric ledger');
    await seeding.close();

    // Each suite in a child tap of its own, in the order above, as a top-level run (without this
    // run's TAP variables, so that it prints its own summary).
    const childEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !/^(TAP|_TAPJS)/.test(name)));
    let assertions = 0;
    for (const suite of FABRIC_SUITES) {
      const file = join(BUILD, 'test', `${suite}.test.js`);
      const result = await run(
        [TAP, '--jobs=1', '--reporter=terse', '--disable-coverage', '--timeout=600', file],
        { ...childEnv, LC_TEST_LEDGER: 'fabric', LC_FABRIC_DIR: dir, LC_TEST_FABRIC_SHARED: shared },
        15 * 60_000,
      );
      const summary = result.output.match(/# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/);
      const total = Number(summary?.[1] ?? 0);
      assertions += total;
      t.ok(result.code === 0 && total > 0, `${suite} on Fabric: ${summary ? `${summary[2]} of ${total} pass` : 'no summary'}`);
      if (result.code !== 0 || total === 0) t.comment(result.output.slice(-20_000));
    }
    t.ok(assertions > 500, `${assertions} assertions on Fabric in all`);
  });
}
