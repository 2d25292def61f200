/**
 * The network's detached processes: recorded, recognised by their marker (never a stranger with
 * a reused pid), stopped by `down` even when their pid file is lost.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { isOurs, markedProcesses, readRecords, startProcess, stopProcesses } from '../../network/processes';

t.test('start, recognise, stop', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lc-procs-'));
  const dirs = { dir, logsDir: path.join(dir, 'logs'), pidsDir: path.join(dir, 'pids') };
  t.teardown(async () => {
    await stopProcesses(dirs, { graceMs: 500 });
    await rm(dir, { recursive: true, force: true });
  });
  const script = "console.log('hello'); process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);";
  const a = await startProcess(dirs, { name: 'a', command: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH ?? '' }, cwd: dir });
  const b = await startProcess(dirs, { name: 'b', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], env: {}, cwd: dir });
  await sleep(300);
  t.ok(isOurs(a.pid, dir) && isOurs(b.pid, dir), 'both run and carry the marker');
  t.notOk(isOurs(process.pid, dir), 'this process is not one of them');
  t.notOk(isOurs(a.pid, `${dir}-other`), 'nor another network\'s');
  t.same(markedProcesses(dir).sort(), [a.pid, b.pid].sort(), 'found by marker');
  t.same((await readRecords(dirs)).map((r) => r.name), ['a', 'b']);

  await rm(path.join(dirs.pidsDir, 'b.json')); // a lost pid file
  const stopped = await stopProcesses(dirs, { graceMs: 2000 });
  t.same(stopped.sort(), [a.pid, b.pid].sort(), 'both stopped, the unrecorded one by its marker');
  t.notOk(isOurs(a.pid, dir) || isOurs(b.pid, dir), 'none runs');
  t.same(await readRecords(dirs), [], 'records removed');
  t.match(await readFile(a.log, 'utf8'), /hello\nbye/, 'output in its log; SIGTERM first');
});
