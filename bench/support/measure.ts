/**
 * What the benchmarks share for reporting: percentiles, per-thread CPU of this process (from
 * `/proc`, so the server's main thread, the load generator and "everything else" — the libuv
 * pool and V8's helper threads — can be told apart), the load average, and aligned output lines.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { loadavg } from 'node:os';

/** The p-th percentile (0–100) of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Latency summary in milliseconds. */
export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function latencyOf(latencies: Float64Array | number[]): Latency {
  const sorted = Float64Array.from(latencies).sort();
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/** `5.08 6.72 6.41` — the 1, 5 and 15 minute load averages. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU milliseconds (user + system) per thread id of this process; empty where /proc is missing. */
export function threadCpu(): Map<number, number> {
  const result = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return result;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the thread ended
    }
  }
  return result;
}

/** The calling thread's id (Linux), or undefined. */
export function ownThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

/** CPU used between two {@link threadCpu} samples: the main thread, the given threads, the rest. */
export interface CpuSplit {
  readonly mainMs: number;
  readonly loadMs: number;
  readonly otherMs: number;
}

export function cpuSplit(before: Map<number, number>, after: Map<number, number>, loadThreads: ReadonlySet<number>): CpuSplit {
  let mainMs = 0;
  let loadMs = 0;
  let otherMs = 0;
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0);
    if (tid === process.pid) mainMs += used;
    else if (loadThreads.has(tid)) loadMs += used;
    else otherMs += used;
  }
  return { mainMs, loadMs, otherMs };
}

/** Event-loop utilisation and CPU split of the server side over one measurement. */
export class ServerMeter {
  readonly #elu = performance.eventLoopUtilization();
  readonly #cpu = threadCpu();
  readonly #started = performance.now();

  stop(loadThreads: ReadonlySet<number>): { mainBusy: number; split: CpuSplit; wallMs: number } {
    const mainBusy = performance.eventLoopUtilization(this.#elu).utilization;
    return { mainBusy, split: cpuSplit(this.#cpu, threadCpu(), loadThreads), wallMs: performance.now() - this.#started };
  }
}

/** `main 97 % busy (CPU 96 %), pool+V8 31 %, clients 40 %` of one wall-clock interval. */
export function describeThreads(meter: { mainBusy: number; split: CpuSplit; wallMs: number }): string {
  const pct = (ms: number): string => `${((100 * ms) / meter.wallMs).toFixed(0)} %`;
  return `server main thread ${(100 * meter.mainBusy).toFixed(0)} % busy (CPU ${pct(meter.split.mainMs)}); libuv pool + V8 helpers CPU ${pct(meter.split.otherMs)}; load clients CPU ${pct(meter.split.loadMs)}`;
}

/** Number formatting for the tables. */
export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `✓` / `✗` next to a target. */
export function verdict(ok: boolean): string {
  return ok ? 'MET' : 'MISSED';
}

/** One aligned result line: label, figure, and what it is compared with. */
export function line(label: string, figure: string, note = ''): void {
  console.log(`  ${label.padEnd(44)}${figure.padStart(16)}  ${note}`);
}

/** `CPU per request: main 1.23 ms, other threads 0.45 ms, server 1.68 ms` — comparable on a shared machine. */
export function describeCpuPer(meter: { split: CpuSplit }, count: number, unit: string, digits = 2): string {
  const per = (ms: number): string => fmt(ms / count, digits);
  const { mainMs, otherMs } = meter.split;
  return `CPU per ${unit}: server main thread ${per(mainMs)} ms, other server threads (signers, libuv, V8) ${per(otherMs)} ms, together ${per(mainMs + otherMs)} ms`;
}
