/**
 * `bin/start.sh`, what `npm start` runs: the system on jemalloc when the machine has it (README
 * "Memory"), glibc's malloc on request, a clear refusal when jemalloc is demanded and missing.
 * Which malloc a process runs on is read from its memory map (`/proc/<pid>/maps`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../system/config';
import { mallocInUse } from '../../system/malloc-in-use';
import { START_SCRIPT, startChildSystem } from '../support/child-system';

/** Where Debian (CI: `.ci/run` installs `libjemalloc2`) and its derivatives put the library. */
function jemallocInstalled(): boolean {
  return readdirSync('/usr/lib', { withFileTypes: true }).some((entry) => {
    if (!entry.isDirectory()) return false;
    try {
      return readdirSync(join('/usr/lib', entry.name)).includes('libjemalloc.so.2');
    } catch {
      return false;
    }
  });
}

const linux = process.platform === 'linux';

t.test('this process: its malloc is read from its memory map', { skip: linux ? false : 'needs /proc (Linux)' }, async (t) => {
  t.not(mallocInUse(), 'unknown');
  t.equal(mallocInUse(2 ** 22 + 7), 'unknown', 'a process that does not exist');
});

for (const choice of ['glibc', 'jemalloc', 'auto'] as const) {
  t.test(`LC_MALLOC=${choice}`, { skip: linux ? false : 'needs /proc (Linux)' }, async (t) => {
    const expected = choice === 'glibc' || !jemallocInstalled() ? 'glibc' : 'jemalloc';
    if (choice === 'jemalloc' && expected === 'glibc') {
      // Demanded but missing: refused before Node starts.
      const run = spawnSync('/bin/sh', [START_SCRIPT], { env: { ...process.env, LC_MALLOC: 'jemalloc', NODE: process.execPath }, encoding: 'utf8' });
      t.equal(run.status, 1);
      t.match(run.stderr, /libjemalloc\.so\.2 is not installed/);
      return;
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'lc-malloc-'));
    const sys = await startChildSystem({ dataDir, env: { LC_MALLOC: choice } });
    t.teardown(async () => {
      await sys.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    t.equal(mallocInUse(sys.pid), expected, `the server runs on ${expected}`);
    t.match(sys.output(), new RegExp(`malloc {4}${expected}`), 'and says so when it starts');
    if (expected === 'glibc' && choice === 'auto') t.match(sys.output(), /jemalloc is not installed/, 'with a warning');
    const answer = await sys.call('verifier', 'GET', '/readyz');
    t.equal(answer.status, 200, 'and serves');
  });
}

t.test('LC_MALLOC must be auto, jemalloc or glibc', async (t) => {
  // The started process sees the variable too: its configuration accepts it, and only those values.
  for (const value of ['auto', 'jemalloc', 'glibc']) t.doesNotThrow(() => loadConfig({ LC_MALLOC: value }), value);
  t.throws(() => loadConfig({ LC_MALLOC: 'tcmalloc' }), /LC_MALLOC/);
  const run = spawnSync('/bin/sh', [START_SCRIPT], { env: { ...process.env, LC_MALLOC: 'tcmalloc', NODE: process.execPath }, encoding: 'utf8' });
  t.equal(run.status, 2);
  t.match(run.stderr, /LC_MALLOC is auto, jemalloc or glibc, not 'tcmalloc'/);
});
