/**
 * Where a process's memory is, thread by thread — for diagnosing a soak. Preload it into the
 * server (it runs in the main thread and, being in NODE_OPTIONS, in every worker thread too):
 *
 *   node build/bench/soak.js --duration 300 --rate 200 \
 *     "--server-node-options=--require $PWD/build/bench/support/memory-probe.js"
 *
 * Every `MEMORY_PROBE_MS` (default 5000) each thread writes one JSON line to
 * `$MEMORY_PROBE_DIR/<pid>-<threadId>.jsonl` (default the OS temporary folder; not `LC_…`
 * variables, which the soak does not pass on to the server): its V8 heap (used, total, per
 * space, used and committed, external) and, for the main thread, `process.memoryUsage()`.
 * Summarise with `node build/bench/support/memory-probe.js <dir> <pid>`.
 */
import { appendFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

const MB = 2 ** 20;

function sample(): Record<string, unknown> {
  const heap = getHeapStatistics();
  // Per space: [used, committed] MB (new space grows its committed size up to its limit under load).
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, [+(s.space_used_size / MB).toFixed(1), +(s.space_size / MB).toFixed(1)]]));
  const base = {
    at: Date.now(),
    thread: threadId,
    usedMb: +(heap.used_heap_size / MB).toFixed(1),
    totalMb: +(heap.total_heap_size / MB).toFixed(1),
    physicalMb: +(heap.total_physical_size / MB).toFixed(1),
    externalMb: +(heap.external_memory / MB).toFixed(1),
    mallocedMb: +(heap.malloced_memory / MB).toFixed(1),
    spaces,
  };
  if (!isMainThread) return base;
  const usage = process.memoryUsage();
  return { ...base, rssMb: +(usage.rss / MB).toFixed(1), arrayBuffersMb: +(usage.arrayBuffers / MB).toFixed(1) };
}

function start(): void {
  const dir = process.env.MEMORY_PROBE_DIR ?? tmpdir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}-${threadId}.jsonl`);
  const write = (): void => {
    try {
      appendFileSync(file, `${JSON.stringify(sample())}\n`);
    } catch {
      // a probe never disturbs the process
    }
  };
  write();
  setInterval(write, Number(process.env.MEMORY_PROBE_MS ?? 5000)).unref();
}

/** Per thread: first and last sample, then minute by minute the lowest heap used and the largest heap committed. */
function summarise(dir: string, pid: string): void {
  for (const name of readdirSync(dir).filter((n) => n.startsWith(`${pid}-`)).sort()) {
    const rows = readFileSync(join(dir, name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const first = rows[0] as Record<string, number>;
    const last = rows[rows.length - 1] as Record<string, number>;
    const seconds = ((last.at as number) - (first.at as number)) / 1000;
    console.log(
      `thread ${first.thread} (${rows.length} samples, ${seconds.toFixed(0)} s): heap used ${first.usedMb} → ${last.usedMb} MB, total ${first.totalMb} → ${last.totalMb} MB, ` +
        `malloced ${first.mallocedMb} → ${last.mallocedMb} MB, external ${first.externalMb} → ${last.externalMb} MB` +
        (last.rssMb !== undefined ? `, process RSS ${first.rssMb} → ${last.rssMb} MB, arrayBuffers ${first.arrayBuffersMb} → ${last.arrayBuffersMb} MB` : ''),
    );
    const minutes = new Map<number, { used: number; total: number }>();
    for (const row of rows) {
      const minute = Math.floor(((row.at as number) - (first.at as number)) / 60_000);
      const m = minutes.get(minute) ?? { used: Infinity, total: 0 };
      minutes.set(minute, { used: Math.min(m.used, row.usedMb as number), total: Math.max(m.total, row.totalMb as number) });
    }
    console.log(`    by minute, lowest used / largest total MB: ${[...minutes].map(([m, x]) => `${m}:${x.used.toFixed(0)}/${x.total.toFixed(0)}`).join(' ')}`);
  }
}

if (require.main === module) {
  const [dir, pid] = process.argv.slice(2);
  if (!dir || !pid) {
    console.error('usage: memory-probe <dir> <pid>');
    process.exitCode = 2;
  } else summarise(dir, pid);
} else {
  start();
}
