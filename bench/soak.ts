/**
 * Soak: a realistic mix of requests at a fixed open-loop rate against the whole system running as
 * a child process (`licensechain start`, default configuration, log level warn, a temporary data
 * folder), for a long time — does it keep its throughput and latency, and does its memory stay
 * flat?
 *
 * The mix (weights, per 100 operations):
 *   issue 20    issuerA `POST /v1/licenses`
 *   verify 35   `POST /v1/verify/license` with an issued document (public; spread over loopback
 *               source addresses, as many service windows would be, under the per-address limit)
 *   upload 15   portal `POST /v1/materials`, a small file (1–32 KiB)
 *   grant 10    portal `POST /v1/materials/:id/grants` on an uploaded material
 *   reuse 15    verifier `POST /v1/reuse` under a grant; the bytes are checked against the digest
 *   dispute 5   verifier `POST /v1/disputes` on an issued license (each license disputed once)
 * Every POST carries an Idempotency-Key. An operation whose prerequisite does not exist yet
 * (nothing issued to verify, …) is replaced by the one that creates it.
 *
 * Open loop: operation i is due at start + i / rate whatever happened to the earlier ones;
 * latency is measured from when it was due (so a client or server that falls behind shows it,
 * no coordinated omission). At most `--max-in-flight` requests are outstanding; an operation due
 * beyond that is not sent and counted as `CLIENT_BACKLOG`.
 *
 * Every `--report` seconds and at the end: throughput, latency p50/p95/p99 per operation, errors
 * by code (the problem's `code`, `HTTP_<status>`, `SOCKET`, `TIMEOUT`, `NOT_VERIFIED`,
 * `BYTES_MISMATCH`, `CLIENT_BACKLOG`), the server's resident memory (VmRSS of the child, sampled
 * every second, with its anonymous and file-backed parts) and V8 heap (its `/metrics`, every 5 s),
 * and CPU. At each report `/readyz` is asked as a readiness probe would, and the reports at which
 * it was not ready are listed.
 *
 * The memory verdict at the end: the first minute (a quarter of a run shorter than four minutes)
 * is warm-up and is not judged; resident memory must grow less than 10 % from the minute after it
 * (minute 2) to the last minute. Also shown: the growth from the first minute, the anonymous and
 * file-backed parts (LevelDB maps its table files into memory: those pages grow with the ledger
 * and are page cache the kernel can drop), and from `/proc/<pid>/smaps` every 5 s how much is
 * LevelDB's mapped tables and (under glibc) how much malloc's main arena, the lowest V8 heap used
 * in each window, and the trend over the second half of the run — whether resident memory has
 * levelled off.
 *
 *   node build/bench/soak.js --find-max [--find-max-duration 120] [--concurrency 32]
 *       closed loop: `--concurrency` clients back to back, the mix as above; the completed rate is
 *       the maximum sustainable rate; prints the rate to soak at (80 %). Two minutes, not less:
 *       over 30 s on an empty ledger the system completed 412 ops/s, a rate it did not hold for
 *       10 minutes (p99 690 ms at 80 % of it); over 2 minutes, 377.
 *   node build/bench/soak.js --duration 600 --rate 120 [--report 30] [--json FILE] [--keep]
 *   either, with:
 *       [--data-dir DIR]                 run on this data folder (kept), e.g. a large ledger a
 *                                        `--keep` run left
 *       [--malloc auto|jemalloc|glibc]   the server's malloc (`LC_MALLOC` of `bin/start.sh`, which
 *                                        starts it as `npm start` does); default auto: jemalloc
 *                                        when installed
 *       [--server-node-options=OPTIONS]  NODE_OPTIONS of the server only, e.g.
 *                                        `--cpu-prof --cpu-prof-dir=/tmp/prof`,
 *                                        `--heapsnapshot-signal=SIGUSR2`, or
 *                                        `--require build/bench/support/memory-probe.js`
 *
 * Malloc: under glibc's, the main arena (`[heap]`, shown in the report) grows for as long as the
 * load lasts while live memory stays flat; under jemalloc, which `bin/start.sh` preloads when
 * installed, resident memory levels off. README "Memory" has the evidence and the figures.
 *
 * A fresh data folder measures a system whose ledger starts empty: while it has fewer than 64
 * tables per database LevelDB closes none, so the mapped pages reads touch accumulate, and the
 * ledger's 32 MiB memtable fills and empties in a saw-tooth — resident memory rises toward bounds
 * it reaches later (figures: README "Memory"). A service runs on a ledger that holds years of data
 * (historical licenses are bulk-collected before it opens); to measure that, soak on the folder
 * earlier runs left, once its ledger has well over 64 tables (`ls DIR/ledger/*.ldb`):
 *
 *   node build/bench/soak.js --duration 600 --rate <r> --keep     # prints `data <DIR>`
 *   node build/bench/soak.js --find-max --data-dir <DIR>
 *   node build/bench/soak.js --duration 600 --rate <80 % of that> --data-dir <DIR>
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { digestOf } from '../domain/digest';
import { mallocInUse } from '../system/malloc-in-use';
import {
  httpCall,
  licenseBody,
  loopbackAddress,
  multipartBody,
  pdfFile,
  startChildSystem,
  uscc,
  type ChildSystem,
  type HttpAnswer,
  type HttpRequest,
  type PrincipalName,
} from '../test/support/child-system';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '600' },
    rate: { type: 'string' },
    'find-max': { type: 'boolean', default: false },
    'find-max-duration': { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '32' },
    report: { type: 'string', default: '30' },
    'max-in-flight': { type: 'string', default: '2000' },
    addresses: { type: 'string', default: '64' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Run on this data folder (kept afterwards), e.g. one a `--keep` run left: a ledger already large. */
    'data-dir': { type: 'string' },
    /** NODE_OPTIONS of the server only, e.g. `--heapsnapshot-signal=SIGUSR2` or `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
    'server-node-options': { type: 'string' },
    /** The server's malloc: `LC_MALLOC` of bin/start.sh (auto: jemalloc when installed). */
    malloc: { type: 'string', default: 'auto' },
  },
});

const OPS = ['issue', 'verify', 'upload', 'grant', 'reuse', 'dispute'] as const;
type Op = (typeof OPS)[number];
const WEIGHTS: Record<Op, number> = { issue: 20, verify: 35, upload: 15, grant: 10, reuse: 15, dispute: 5 };
const PURPOSE = '社会保险登记业务办理';
/** Bound on the client's pools of issued licenses, materials and grants. */
const POOL = 2000;

// ---------------------------------------------------------------------------------------------
// Statistics

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The first client-side failure of each kind (a socket error, a timeout), word for word. */
const ERROR_SAMPLES = new Map<string, string>();

class Window {
  readonly latencies = new Map<Op, number[]>();
  readonly errors = new Map<string, number>();
  readonly errorsByOp = new Map<string, number>();
  ok = 0;
  failed = 0;

  record(op: Op, ms: number, error: string | undefined): void {
    if (error === undefined) {
      this.ok++;
      let list = this.latencies.get(op);
      if (!list) this.latencies.set(op, (list = []));
      list.push(ms);
    } else {
      this.failed++;
      this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
      this.errorsByOp.set(`${op}:${error}`, (this.errorsByOp.get(`${op}:${error}`) ?? 0) + 1);
    }
  }

  merge(other: Window): void {
    this.ok += other.ok;
    this.failed += other.failed;
    for (const [op, list] of other.latencies) {
      const mine = this.latencies.get(op);
      if (mine) for (const x of list) mine.push(x);
      else this.latencies.set(op, [...list]);
    }
    for (const [code, n] of other.errors) this.errors.set(code, (this.errors.get(code) ?? 0) + n);
    for (const [code, n] of other.errorsByOp) this.errorsByOp.set(code, (this.errorsByOp.get(code) ?? 0) + n);
  }

  summary(): Record<string, { n: number; p50: number; p95: number; p99: number; max: number }> {
    const result: Record<string, { n: number; p50: number; p95: number; p99: number; max: number }> = {};
    const all: number[] = [];
    for (const op of OPS) {
      const list = this.latencies.get(op) ?? [];
      for (const x of list) all.push(x);
      const sorted = Float64Array.from(list).sort();
      result[op] = { n: list.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
    }
    const sorted = Float64Array.from(all).sort();
    result.all = { n: all.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
    return result;
  }
}

const ms = (x: number): string => (Number.isFinite(x) ? (x < 10 ? x.toFixed(1) : x.toFixed(0)) : '-');
const mb = (kb: number | undefined): string => (kb === undefined ? '-' : `${(kb / 1024).toFixed(0)} MB`);

function printWindow(title: string, window: Window, seconds: number): void {
  const s = window.summary();
  console.log(`${title}: ${(window.ok / seconds).toFixed(1)} ok/s (${window.ok} ok, ${window.failed} failed)`);
  console.log(`    ${'operation'.padEnd(9)}${'n'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`);
  for (const op of [...OPS, 'all']) {
    const x = s[op] as { n: number; p50: number; p95: number; p99: number; max: number };
    console.log(`    ${op.padEnd(9)}${String(x.n).padStart(8)}${ms(x.p50).padStart(9)}${ms(x.p95).padStart(9)}${ms(x.p99).padStart(9)}${ms(x.max).padStart(9)}`);
  }
  if (window.errors.size > 0) {
    console.log(`    errors: ${[...window.errorsByOp].map(([code, n]) => `${code} ${n}`).join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The server's memory and CPU

interface HeapSample {
  readonly at: number;
  readonly usedMb: number;
  readonly totalMb: number;
}

interface Sample {
  readonly at: number;
  readonly rssKb: number;
  /** Of the resident set: anonymous memory (heaps, malloc, LevelDB caches and memtables). */
  readonly anonKb: number;
  /** Of the resident set: file pages mapped into the process (code, and LevelDB's memory-mapped tables). */
  readonly fileKb: number;
}

/** VmRSS and its anonymous and file-backed parts (`/proc/<pid>/status`), or undefined once gone. */
function residentOf(pid: number): Omit<Sample, 'at'> | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rssKb = kb('VmRSS');
    return Number.isFinite(rssKb) ? { rssKb, anonKb: kb('RssAnon'), fileKb: kb('RssFile') + kb('RssShmem') } : undefined;
  } catch {
    return undefined;
  }
}

interface PartsSample {
  readonly at: number;
  /** Resident pages of the ledger's memory-mapped LevelDB tables. */
  readonly ledgerKb: number;
  /** The same for the gateway's and verifier's JSON stores. */
  readonly storesKb: number;
  /**
   * Resident pages of `[heap]`: glibc's main arena, where the main thread's malloc'd memory lives
   * (next to nothing under jemalloc, which maps its own).
   */
  readonly mainHeapKb: number;
}

/**
 * Two parts of the resident set that a soak needs to tell apart, from `/proc/<pid>/smaps`:
 * LevelDB's memory-mapped table files (`*.ldb`: file pages that follow the data, as opposed to
 * the node binary and libraries) and malloc's main arena (`[heap]`). Undefined once the process
 * is gone.
 */
function residentPartsOf(pid: number): Omit<PartsSample, 'at'> | undefined {
  let smaps: string;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = { ledgerKb: 0, storesKb: 0, mainHeapKb: 0 };
  let part: keyof typeof kb | undefined;
  for (const line of smaps.split('\n')) {
    // A mapping's header line ends with its path; its fields (`Rss:  123 kB`, …) follow it.
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1] ?? '';
      part = path === '[heap]' ? 'mainHeapKb' : path.endsWith('.ldb') ? (path.includes('/ledger/') ? 'ledgerKb' : 'storesKb') : undefined;
    } else if (part !== undefined && line.startsWith('Rss:')) {
      kb[part] += Number(/(\d+) kB/.exec(line)?.[1] ?? 0);
    }
  }
  return kb;
}

function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The server's own view of its memory (prom-client's default metrics of the gateway: one process). */
interface ServerMemory {
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  readonly oldSpaceUsedMb: number;
}

async function serverMemory(sys: ChildSystem): Promise<ServerMemory | undefined> {
  try {
    const answer = await httpCall(sys.gatewayUrl, 'GET', '/metrics', { timeoutMs: 5000, agent: PROBE });
    if (answer.status !== 200) return undefined;
    const text = answer.body.toString('utf8');
    const value = (name: string, labels = ''): number => {
      const match = new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} ([0-9.e+]+)$`, 'm').exec(text);
      return match ? Number(match[1]) / 2 ** 20 : NaN;
    };
    return {
      heapUsedMb: value('nodejs_heap_size_used_bytes'),
      heapTotalMb: value('nodejs_heap_size_total_bytes'),
      externalMb: value('nodejs_external_memory_bytes'),
      oldSpaceUsedMb: value('nodejs_heap_space_size_used_bytes', 'space="old"'),
    };
  } catch {
    return undefined;
  }
}

const heapText = (m: ServerMemory | undefined): string =>
  m === undefined ? 'heap -' : `heap used ${m.heapUsedMb.toFixed(0)} MB (old space ${m.oldSpaceUsedMb.toFixed(0)}) of ${m.heapTotalMb.toFixed(0)} MB, external ${m.externalMb.toFixed(0)} MB`;

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

// ---------------------------------------------------------------------------------------------
// The mix

interface License {
  readonly identifier: string;
  readonly document: unknown;
}
interface MaterialRef {
  readonly materialId: string;
  readonly digest: string;
  readonly holder: { codeType: string; code: string };
}
interface GrantRef {
  readonly grantId: string;
  readonly material: MaterialRef;
}

class Mix {
  readonly run = Date.now().toString(36).slice(-5);
  readonly verifiable: License[] = [];
  readonly disputable: License[] = [];
  readonly materials: MaterialRef[] = [];
  readonly grants: GrantRef[] = [];
  #n = 0;
  #address = 0;
  readonly #agents = { gateway: new Agent({ keepAlive: true, maxSockets: 512 }), verifier: new Agent({ keepAlive: true, maxSockets: 64 }) };
  readonly #addresses: number;
  readonly #cumulative: number[] = [];

  constructor(readonly sys: ChildSystem, addresses: number) {
    this.#addresses = addresses;
    let sum = 0;
    for (const op of OPS) this.#cumulative.push((sum += WEIGHTS[op]));
  }

  close(): void {
    this.#agents.gateway.destroy();
    this.#agents.verifier.destroy();
  }

  pick(): Op {
    const x = Math.random() * (this.#cumulative[this.#cumulative.length - 1] as number);
    return OPS[this.#cumulative.findIndex((c) => x < c)] as Op;
  }

  /** The operation that can run now in place of `op` (its prerequisite first). */
  feasible(op: Op): Op {
    if ((op === 'verify' && this.verifiable.length === 0) || (op === 'dispute' && this.disputable.length === 0)) return 'issue';
    if (op === 'reuse' && this.grants.length === 0) op = 'grant';
    if (op === 'grant' && this.materials.length === 0) return 'upload';
    return op;
  }

  #call(service: 'gateway' | 'verifier', method: string, path: string, as: PrincipalName | undefined, request: HttpRequest): Promise<HttpAnswer> {
    const base = service === 'gateway' ? this.sys.gatewayUrl : this.sys.verifierUrl;
    return httpCall(base, method, path, {
      agent: this.#agents[service],
      timeoutMs: 60_000,
      ...request,
      headers: { ...(as ? this.sys.auth(as) : {}), ...request.headers },
    });
  }

  #key(op: Op): Record<string, string> {
    return { 'idempotency-key': `soak-${this.run}-${op}-${++this.#n}` };
  }

  static #keep<T>(pool: T[], item: T): void {
    pool.push(item);
    if (pool.length > POOL) pool.splice(0, pool.length - POOL);
  }

  static #any<T>(pool: readonly T[]): T {
    return pool[Math.floor(Math.random() * pool.length)] as T;
  }

  /** Runs one operation; resolves with an error code, or undefined when it succeeded. */
  async execute(op: Op): Promise<string | undefined> {
    let sent: { answer: HttpAnswer; context?: unknown };
    try {
      sent = await this.#send(op);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const code = /timed out/.test(e.message) ? 'TIMEOUT' : e.code?.startsWith('E') || /socket|aborted|cut short/.test(e.message) ? 'SOCKET' : undefined;
      if (code) {
        if (!ERROR_SAMPLES.has(code)) ERROR_SAMPLES.set(code, `${op}: ${e.code ? `${e.code} ` : ''}${e.message}`);
        return code;
      }
      // A fault of this client, not of the server: stop rather than report nonsense.
      throw error;
    }
    const { answer, context } = sent;
    if (answer.status < 200 || answer.status >= 300) return (answer.json?.code as string | undefined) ?? `HTTP_${answer.status}`;
    return this.#absorb(op, answer, context);
  }

  async #send(op: Op): Promise<{ answer: HttpAnswer; context?: unknown }> {
    const n = ++this.#n;
    switch (op) {
      case 'issue':
        return { answer: await this.#call('gateway', 'POST', '/v1/licenses', 'issuerA', { json: licenseBody(this.run, n, 'MK'), headers: this.#key(op) }) };
      case 'verify': {
        const license = Mix.#any(this.verifiable);
        // The agent pools sockets per source address.
        const answer = await httpCall(this.sys.verifierUrl, 'POST', '/v1/verify/license', {
          agent: this.#agents.verifier,
          json: { document: license.document },
          localAddress: loopbackAddress(this.#address++ % this.#addresses),
          timeoutMs: 60_000,
        });
        return { answer };
      }
      case 'upload': {
        const holder = { codeType: '001', code: uscc(n % 50_000, 'MM') };
        const bytes = pdfFile(1024 + Math.floor(Math.random() * 31 * 1024));
        const form = multipartBody({ holderCodeType: holder.codeType, holderCode: holder.code, kind: '身份证明' }, { data: bytes, type: 'application/pdf', filename: 'material.pdf' });
        const answer = await this.#call('gateway', 'POST', '/v1/materials', 'portal', { body: form.body, headers: { 'content-type': form.contentType, ...this.#key(op) } });
        return { answer, context: { holder, digest: digestOf(bytes) } };
      }
      case 'grant': {
        const material = Mix.#any(this.materials);
        const body = { holder: material.holder, grantee: 'VerifierMSP', purpose: PURPOSE, caseNo: `soak-${n}`, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 10_000 };
        const answer = await this.#call('gateway', 'POST', `/v1/materials/${material.materialId}/grants`, 'portal', { json: body, headers: this.#key(op) });
        return { answer, context: material };
      }
      case 'reuse': {
        const grant = Mix.#any(this.grants);
        const answer = await this.#call('verifier', 'POST', '/v1/reuse', 'verifier', {
          json: { materialId: grant.material.materialId, grantId: grant.grantId, purpose: PURPOSE },
          headers: this.#key(op),
        });
        return { answer, context: grant.material };
      }
      case 'dispute': {
        const license = this.disputable.shift() as License;
        const answer = await this.#call('gateway', 'POST', '/v1/disputes', 'verifier', {
          json: { subject: { kind: 'license', id: license.identifier }, reason: '登记信息与实际不符', evidence: [digestOf(license.identifier)] },
          headers: this.#key(op),
        });
        return { answer };
      }
    }
  }

  /** Takes what a successful answer created into the pools; checks what it must contain. */
  #absorb(op: Op, answer: HttpAnswer, context: unknown): string | undefined {
    switch (op) {
      case 'issue': {
        const license = { identifier: answer.json.identifier as string, document: answer.json.document };
        // One in ten is kept for a dispute (never verified: it may be flagged).
        if (Math.random() < 0.1) Mix.#keep(this.disputable, license);
        else Mix.#keep(this.verifiable, license);
        return undefined;
      }
      case 'verify':
        return answer.json?.verified === true ? undefined : 'NOT_VERIFIED';
      case 'upload': {
        const { holder, digest } = context as { holder: MaterialRef['holder']; digest: string };
        if (answer.json.digest !== digest) return 'BYTES_MISMATCH';
        Mix.#keep(this.materials, { materialId: answer.json.materialId as string, digest, holder });
        return undefined;
      }
      case 'grant':
        Mix.#keep(this.grants, { grantId: answer.json.grantId as string, material: context as MaterialRef });
        return undefined;
      case 'reuse':
        return digestOf(answer.body) === (context as MaterialRef).digest ? undefined : 'BYTES_MISMATCH';
      case 'dispute':
        return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Runs

interface RunResult {
  readonly seconds: number;
  readonly total: Window;
  readonly intervals: Array<{ at: number; okPerSecond: number; failed: number; rssKb: number | undefined; memory: ServerMemory | undefined; cpu: number; clientCpu: number; height: number | undefined; summary: ReturnType<Window['summary']>; errors: Record<string, number> }>;
  readonly rss: Sample[];
  /** The server's V8 heap (main thread), every 5 s. */
  readonly heap: HeapSample[];
  /** LevelDB's mapped tables and malloc's main arena in the resident set, every 5 s. */
  readonly parts: PartsSample[];
  /** Reports at which `/readyz` did not answer 200 within its own deadline. */
  readonly notReady: string[];
}

/** A fresh connection per probe, as a kubelet's. */
const PROBE = new Agent({ keepAlive: false });

/** `/readyz` of the gateway, as a readiness probe sees it under the load: height, or why not. */
async function readiness(sys: ChildSystem): Promise<{ height?: number; problem?: string; ms: number }> {
  const started = performance.now();
  try {
    const answer = await httpCall(sys.gatewayUrl, 'GET', '/readyz', { timeoutMs: 5000, agent: PROBE });
    const ms = performance.now() - started;
    return answer.status === 200 ? { height: answer.json?.ledgerHeight as number, ms } : { problem: `${answer.status} ${answer.json?.code ?? ''}`.trim(), ms };
  } catch (error) {
    return { problem: (error as Error).message, ms: performance.now() - started };
  }
}

/**
 * Drives the mix for `seconds`: open loop at `rate` per second, or closed loop with `concurrency`
 * clients when `rate` is undefined. Reports every `reportSeconds`.
 */
async function drive(sys: ChildSystem, mix: Mix, seconds: number, rate: number | undefined, concurrency: number, reportSeconds: number, maxInFlight: number, quiet = false): Promise<RunResult> {
  const total = new Window();
  let window = new Window();
  const rss: Sample[] = [];
  const heap: HeapSample[] = [];
  const parts: PartsSample[] = [];
  const notReady: string[] = [];
  const intervals: RunResult['intervals'] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  let inFlight = 0;
  let lastReport = started;
  let lastTicks = cpuTicks(sys.pid) ?? 0;
  let lastClientCpu = process.cpuUsage();

  let ticks = 0;
  let scraping = false;
  const sampler = setInterval(() => {
    const at = (performance.now() - started) / 1000;
    const resident = residentOf(sys.pid);
    if (resident !== undefined) rss.push({ at, ...resident });
    if (quiet || ticks++ % 5 !== 0) return;
    const split = residentPartsOf(sys.pid);
    if (split !== undefined) parts.push({ at, ...split });
    if (scraping) return;
    scraping = true;
    void serverMemory(sys)
      .then((m) => {
        if (m && Number.isFinite(m.heapUsedMb)) heap.push({ at, usedMb: m.heapUsedMb, totalMb: m.heapTotalMb });
      })
      .finally(() => (scraping = false));
  }, 1000);
  const report = async (final = false): Promise<void> => {
    const now = performance.now();
    const elapsed = (now - lastReport) / 1000;
    if (final && elapsed < 2) {
      // A last sliver of a second: counted in the totals, not worth a report of its own.
      total.merge(window);
      return;
    }
    const ticks = cpuTicks(sys.pid) ?? lastTicks;
    const cpu = (ticks - lastTicks) / 100 / elapsed;
    lastTicks = ticks;
    const clientCpu = process.cpuUsage(lastClientCpu);
    lastClientCpu = process.cpuUsage();
    const client = (clientCpu.user + clientCpu.system) / 1e6 / elapsed;
    const current = window;
    window = new Window();
    lastReport = now;
    const ready = await readiness(sys);
    const height = ready.height;
    if (ready.problem) notReady.push(`${((now - started) / 1000).toFixed(0)} s: ${ready.problem} after ${ready.ms.toFixed(0)} ms`);
    const resident = residentOf(sys.pid);
    const kb = resident?.rssKb;
    const memory = quiet ? undefined : await serverMemory(sys);
    const at = (now - started) / 1000;
    if (!quiet) printWindow(`[${at.toFixed(0).padStart(4)} s] last ${elapsed.toFixed(0)} s — server RSS ${mb(kb)} (anon ${mb(resident?.anonKb)}, file ${mb(resident?.fileKb)}; ${heapText(memory)}), CPU ${(100 * cpu).toFixed(0)} % (client ${(100 * client).toFixed(0)} %), ledger height ${height ?? `- (/readyz: ${ready.problem})`}, in flight ${inFlight}`, current, elapsed);
    intervals.push({ at, okPerSecond: current.ok / elapsed, failed: current.failed, rssKb: kb, memory, cpu, clientCpu: client, height, summary: current.summary(), errors: Object.fromEntries(current.errorsByOp) });
    total.merge(current);
  };
  const reporter = setInterval(() => void report(), reportSeconds * 1000);

  const one = async (due: number): Promise<void> => {
    const op = mix.feasible(mix.pick());
    inFlight++;
    try {
      const error = await mix.execute(op);
      window.record(op, performance.now() - due, error);
    } finally {
      inFlight--;
    }
  };

  const running = new Set<Promise<void>>();
  if (rate === undefined) {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) await one(performance.now());
      }),
    );
  } else {
    const interval = 1000 / rate;
    let i = 0;
    while (performance.now() < end) {
      const now = performance.now();
      for (; started + i * interval <= now; i++) {
        const due = started + i * interval;
        if (inFlight >= maxInFlight) {
          window.record(mix.feasible(mix.pick()), 0, 'CLIENT_BACKLOG');
          continue;
        }
        const p = one(due);
        running.add(p);
        void p.finally(() => running.delete(p));
      }
      await sleep(Math.max(1, Math.min(10, started + i * interval - performance.now())));
    }
    await Promise.all(running);
  }
  clearInterval(reporter);
  clearInterval(sampler);
  if (window.ok + window.failed > 0) await report(true);
  return { seconds: (performance.now() - started) / 1000, total, intervals, rss, heap, parts, notReady };
}

function printTotals(title: string, result: RunResult): void {
  console.log('');
  printWindow(`${title} — ${result.seconds.toFixed(0)} s`, result.total, result.seconds);
  if (result.total.errors.size > 0) console.log(`    errors by code: ${[...result.total.errors].map(([code, n]) => `${code} ${n}`).join(', ')}`);
  else console.log('    errors by code: none');
  for (const [code, sample] of ERROR_SAMPLES) console.log(`    first ${code}: ${sample}`);
  console.log(`    /readyz during the run: ${result.notReady.length === 0 ? `ready at every report (${result.intervals.length})` : `NOT ready at ${result.notReady.length} of ${result.intervals.length} reports — ${result.notReady.join('; ')}`}`);
}

/** Least-squares slope of `y` over `x` (per unit of x). */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Growth of resident memory allowed between the end of warm-up and the end of the run (issue 8). */
const MAX_GROWTH_PERCENT = 10;

interface MemoryVerdict {
  /** Seconds of each window: warm-up, the baseline right after it, and the last one. */
  readonly windowSeconds: number;
  readonly warmUpMb: number;
  readonly baselineMb: number;
  readonly lastMb: number;
  readonly maxMb: number;
  /** VmRSS growth from the baseline window (the one after warm-up) to the last window. */
  readonly growthPercent: number;
  /** The same with the warm-up window as the baseline (how the issue first measured it). */
  readonly growthFromStartPercent: number;
  readonly anon: { readonly baselineMb: number; readonly lastMb: number; readonly growthPercent: number };
  readonly file: { readonly baselineMb: number; readonly lastMb: number };
  /** Of the file-backed part: LevelDB's mapped tables (ledger, and the JSON stores). */
  readonly mappedTables: { readonly baselineMb: number; readonly lastMb: number; readonly ledgerLastMb: number } | undefined;
  /** Of the anonymous part: malloc's main arena (`[heap]`). */
  readonly mainHeap: { readonly baselineMb: number; readonly lastMb: number } | undefined;
  /** Lowest V8 heap used in the baseline and the last window (≈ live heap after collections). */
  readonly heapFloor: { readonly baselineMb: number; readonly lastMb: number } | undefined;
  /** Lowest VmRSS in the baseline and the last window. */
  readonly rssFloor: { readonly baselineMb: number; readonly lastMb: number };
  /** Trend of the 30-second lowest VmRSS and anonymous memory over the second half of the run, MB per minute. */
  readonly trendMbPerMinute: { readonly rss: number; readonly anon: number };
  /** Whether the second half's trend adds less than 5 % of the baseline over that half. */
  readonly plateau: boolean;
  readonly pass: boolean;
}

/**
 * The memory verdict. The first window (one minute; a quarter of a run shorter than four minutes)
 * is warm-up — code compiled, V8's heap limits and LevelDB's caches and memtables growing to their
 * working size, the pools of the mix filling — and is shown but not judged: growth is measured
 * from the window right after it (minute 2) to the last window, and must stay under 10 %.
 * Besides: the resident set split into anonymous memory (heaps, malloc, LevelDB's caches) and
 * file pages (the node binary, and LevelDB's memory-mapped table files, which grow with the
 * ledger and which the kernel can drop at any time), the floor of the V8 heap, and whether the
 * resident set has levelled off over the second half of the run.
 */
function memoryReport(rss: Sample[], heap: HeapSample[], parts: PartsSample[], seconds: number): MemoryVerdict | undefined {
  if (rss.length < 2) return undefined;
  const span = Math.min(60, seconds / 4);
  const within = <T extends { at: number }>(samples: T[], from: number, to: number): T[] => samples.filter((x) => x.at >= from && x.at < to);
  const warm = within(rss, 0, span);
  const baseline = within(rss, span, 2 * span);
  const last = within(rss, seconds - span, Infinity);
  const mb = (samples: Sample[], field: 'rssKb' | 'anonKb' | 'fileKb'): number => mean(samples.map((x) => x[field])) / 1024;
  const percent = (from: number, to: number): number => (100 * (to - from)) / from;
  const signed = (x: number, digits = 1): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
  const floor = (samples: HeapSample[]): number => Math.min(...samples.map((x) => x.usedMb));
  const heapBaseline = within(heap, span, 2 * span);
  const heapLast = within(heap, seconds - span, Infinity);
  // The trend is of the lowest value in each 30 s: V8 lets its heap grow to a limit before a full
  // collection, and a run's last minutes may fall on a peak of that saw-tooth or on a trough.
  const floors = (field: 'rssKb' | 'anonKb'): Array<readonly [number, number]> => {
    const bins = new Map<number, number>();
    for (const x of rss.filter((x) => x.at >= seconds / 2)) {
      const bin = Math.floor(x.at / 30);
      bins.set(bin, Math.min(bins.get(bin) ?? Infinity, x[field] / 1024));
    }
    return [...bins].map(([bin, value]) => [bin * 30, value] as const);
  };
  const trend = { rss: 60 * slope(floors('rssKb')), anon: 60 * slope(floors('anonKb')) };
  const partMb = (samples: PartsSample[], part: (x: PartsSample) => number): number => mean(samples.map(part)) / 1024;
  const tables = (x: PartsSample): number => x.ledgerKb + x.storesKb;
  const partsBaseline = within(parts, span, 2 * span);
  const partsLast = within(parts, seconds - span, Infinity);
  const haveParts = partsBaseline.length > 0 && partsLast.length > 0;
  const floorOf = (samples: Sample[]): number => Math.min(...samples.map((x) => x.rssKb)) / 1024;
  const verdict: MemoryVerdict = {
    windowSeconds: span,
    warmUpMb: mb(warm, 'rssKb'),
    baselineMb: mb(baseline, 'rssKb'),
    lastMb: mb(last, 'rssKb'),
    maxMb: Math.max(...rss.map((x) => x.rssKb)) / 1024,
    growthPercent: percent(mb(baseline, 'rssKb'), mb(last, 'rssKb')),
    growthFromStartPercent: percent(mb(warm, 'rssKb'), mb(last, 'rssKb')),
    anon: { baselineMb: mb(baseline, 'anonKb'), lastMb: mb(last, 'anonKb'), growthPercent: percent(mb(baseline, 'anonKb'), mb(last, 'anonKb')) },
    file: { baselineMb: mb(baseline, 'fileKb'), lastMb: mb(last, 'fileKb') },
    mappedTables: haveParts
      ? { baselineMb: partMb(partsBaseline, tables), lastMb: partMb(partsLast, tables), ledgerLastMb: partMb(partsLast, (x) => x.ledgerKb) }
      : undefined,
    mainHeap: haveParts ? { baselineMb: partMb(partsBaseline, (x) => x.mainHeapKb), lastMb: partMb(partsLast, (x) => x.mainHeapKb) } : undefined,
    rssFloor: { baselineMb: floorOf(baseline), lastMb: floorOf(last) },
    heapFloor: heapBaseline.length > 0 && heapLast.length > 0 ? { baselineMb: floor(heapBaseline), lastMb: floor(heapLast) } : undefined,
    trendMbPerMinute: trend,
    plateau: Math.abs(trend.rss * (seconds / 2 / 60)) < 0.05 * mb(baseline, 'rssKb'),
    pass: percent(mb(baseline, 'rssKb'), mb(last, 'rssKb')) < MAX_GROWTH_PERCENT,
  };
  const w = span.toFixed(0);
  const v = verdict;
  console.log(`    server memory (the first ${w} s are warm-up, not judged; growth is from the ${w} s after it to the last ${w} s):`);
  console.log(
    `      resident (VmRSS): warm-up ${v.warmUpMb.toFixed(0)} MB, baseline ${v.baselineMb.toFixed(0)} MB, last ${v.lastMb.toFixed(0)} MB: ` +
      `growth ${signed(v.growthPercent)} % — ${v.pass ? 'PASS' : 'FAIL'} (limit ${MAX_GROWTH_PERCENT} %); max ${v.maxMb.toFixed(0)} MB; ` +
      `(from the warm-up window instead: ${signed(v.growthFromStartPercent)} %)`,
  );
  console.log(
    `      of it anonymous (heaps, malloc, LevelDB caches): ${v.anon.baselineMb.toFixed(0)} → ${v.anon.lastMb.toFixed(0)} MB (${signed(v.anon.growthPercent)} %); ` +
      `file-backed (node binary, LevelDB's memory-mapped tables — grows with the ledger, reclaimable page cache): ${v.file.baselineMb.toFixed(0)} → ${v.file.lastMb.toFixed(0)} MB`,
  );
  if (v.mappedTables) {
    const t = v.mappedTables;
    const without = percent(v.baselineMb - t.baselineMb, v.lastMb - t.lastMb);
    console.log(
      `      of the file-backed part, LevelDB's mapped tables: ${t.baselineMb.toFixed(0)} → ${t.lastMb.toFixed(0)} MB (the ledger's ${t.ledgerLastMb.toFixed(0)} MB at the end; ` +
        `at most ~64 tables of ~1 MB per database stay mapped); VmRSS without them: ${signed(without)} %`,
    );
  }
  if (v.mainHeap && v.mainHeap.lastMb > 0) {
    // Under glibc the part that keeps growing (header comment); jemalloc leaves `[heap]` empty.
    console.log(`      of the anonymous part, malloc's main arena ([heap]): ${v.mainHeap.baselineMb.toFixed(0)} → ${v.mainHeap.lastMb.toFixed(0)} MB`);
  }
  console.log(
    `      lowest in the window: VmRSS ${v.rssFloor.baselineMb.toFixed(0)} → ${v.rssFloor.lastMb.toFixed(0)} MB` +
      (v.heapFloor ? `, V8 heap used (≈ live heap) ${v.heapFloor.baselineMb.toFixed(0)} → ${v.heapFloor.lastMb.toFixed(0)} MB` : ''),
  );
  console.log(
    `      trend over the second half (of the lowest value every 30 s): VmRSS ${signed(trend.rss)} MB/min, anonymous ${signed(trend.anon)} MB/min — ` +
      `${v.plateau ? 'levelled off (under 5 % of the baseline over that half)' : 'still growing (5 % of the baseline or more over that half)'}`,
  );
  const trail = rss.filter((_, i) => i % Math.max(1, Math.round(rss.length / 12)) === 0).map((x) => `${x.at.toFixed(0)}s:${(x.rssKb / 1024).toFixed(0)}/${(x.anonKb / 1024).toFixed(0)}`);
  console.log(`      RSS/anonymous over time (MB): ${trail.join(' ')}`);
  return verdict;
}

async function main(): Promise<void> {
  const findMax = opts['find-max'];
  const rate = opts.rate === undefined ? undefined : Number(opts.rate);
  if (!findMax && (rate === undefined || !(rate > 0))) {
    console.error('usage: soak --find-max [--find-max-duration 120] [--concurrency 32] | --duration 600 --rate <req/s> [--report 30] [--json FILE] [--keep]; either [--data-dir DIR] [--malloc auto|jemalloc|glibc] [--server-node-options OPTS]');
    process.exitCode = 2;
    return;
  }
  const given = opts['data-dir'];
  const keep = opts.keep || given !== undefined;
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'lc-soak-'));
  let sys: ChildSystem;
  try {
    const nodeOptions = opts['server-node-options'];
    sys = await startChildSystem({ dataDir, logLevel: 'warn', env: { LC_MALLOC: opts.malloc, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) } });
  } catch (error) {
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const malloc = mallocInUse(sys.pid);
  let stopping = false;
  const cleanUp = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await sys.stop();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  console.log(`system: pid ${sys.pid}, ready in ${(sys.startMs / 1000).toFixed(1)} s, data ${dataDir}, RSS ${mb(sys.rssKb())}, malloc ${malloc}`);
  console.log(`mix: ${OPS.map((op) => `${op} ${WEIGHTS[op]}`).join(', ')}`);
  // The machine may be shared: a busy one lowers every figure.
  const load = (): string => loadavg().map((n) => n.toFixed(2)).join(' ');
  console.log(`load average before: ${load()}`);

  const mix = new Mix(sys, Number(opts.addresses));
  try {
    // Warm-up (not counted): fills the pools so that every operation of the mix can run.
    await drive(sys, mix, 5, undefined, 8, 3600, Infinity, true);
    const report = Number(opts.report);
    let output: Record<string, unknown>;
    if (findMax) {
      const seconds = Number(opts['find-max-duration']);
      const concurrency = Number(opts.concurrency);
      console.log(`find-max: closed loop, ${concurrency} clients, ${seconds} s`);
      const result = await drive(sys, mix, seconds, undefined, concurrency, Math.min(report, 10), Infinity);
      printTotals('find-max', result);
      const max = result.total.ok / result.seconds;
      console.log(`\nmaximum sustainable rate of the mix: ${max.toFixed(1)} ok/s (failed ${result.total.failed}); soak at 80 %: --rate ${Math.floor(0.8 * max)}`);
      output = { mode: 'find-max', malloc, concurrency, seconds: result.seconds, maxRate: max, summary: result.total.summary(), errors: Object.fromEntries(result.total.errors), notReady: result.notReady, intervals: result.intervals };
    } else {
      const seconds = Number(opts.duration);
      console.log(`soak: open loop, ${rate} req/s, ${seconds} s, report every ${report} s`);
      const result = await drive(sys, mix, seconds, rate, 0, report, Number(opts['max-in-flight']));
      printTotals('soak', result);
      console.log(`    throughput ${(result.total.ok / result.seconds).toFixed(1)} ok/s of ${rate} offered`);
      const memory = memoryReport(result.rss, result.heap, result.parts, result.seconds);
      output = {
        mode: 'soak',
        malloc,
        rate,
        seconds: result.seconds,
        throughput: result.total.ok / result.seconds,
        summary: result.total.summary(),
        errors: Object.fromEntries(result.total.errors),
        memory,
        notReady: result.notReady,
        intervals: result.intervals,
        rss: result.rss,
        heap: result.heap,
        parts: result.parts,
      };
    }
    console.log(`load average after: ${load()}`);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
  } finally {
    mix.close();
    await cleanUp();
  }
  if (sys.output().trim()) console.log(`\nserver output (last lines):\n${sys.output().trim().split('\n').slice(-20).join('\n')}`);
}

main().catch((error: unknown) => {
  console.error((error as Error).stack ?? error);
  process.exitCode = 1;
});
