/**
 * Issuance and upload throughput of the gateway, each next to its baseline measured in the same run.
 *
 * (a) raw SM2 signing on every core (worker threads): `sm2Sign` over a fixed digest — the
 *     primitive a software seal signer runs per license — and, for context, `signWithSeal`, the
 *     whole GB/T 38540 signature issuance makes (it checks its own signature too);
 * (b) `POST /v1/licenses`, one license per request, from `--concurrency` keep-alive clients:
 *     req/s, latency percentiles, failures; target ≥ 60 % of (a), p99 < 100 ms;
 * (c) `POST /v1/licenses/batch` with `--batch-size` licenses per request, `--batches` requests one
 *     after the other: licenses committed per second; target ≥ 20 000/s;
 * (d) material upload: `crypto.createHash('sm3')` over the bytes of `--files` files of
 *     `--file-mb` MB on one thread, next to uploading the same files through `POST /v1/materials`
 *     (multipart, as the portal), `--upload-concurrency` at a time; target ≥ 70 %.
 *
 * The system is the embedded one (ledger, gateway, verifier) in this process with the default
 * configuration, in a temporary data folder removed at the end; the HTTP clients run on a worker
 * thread. Also printed: how busy the server's main thread was and the CPU of the other threads,
 * and the load average before and after (the machine may be shared).
 *
 *   npm run bench:issuance -- [--requests 3000] [--duration 45] [--concurrency 64] [--batches 3]
 *     [--batch-size 10000] [--files 10] [--file-mb 50] [--upload-concurrency 2] [--crypto-ms 3000]
 *     [--only abcd] [--profile DIR]
 *
 * `--profile DIR` writes a CPU profile of the server (main thread) per measured phase to DIR
 * (summarise with `node build/bench/profile-top.js DIR/*.cpuprofile`).
 */
import { randomFillSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { cryptoRate, sm3Throughput } from './support/crypto-rate';
import { LoadGenerator, type LoadRequest, type LoadResult } from './support/http-load';
import { profiled } from './support/profiler';
import { ServerMeter, describeCpuPer, describeThreads, fmt, latencyOf, line, loadAverage, verdict } from './support/measure';
import { closeOnSignal, companyCode, licenseInput, startBenchSystem, type BenchSystem } from './support/system';

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    duration: { type: 'string', default: '45' },
    concurrency: { type: 'string', default: '64' },
    batches: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '10000' },
    files: { type: 'string', default: '10' },
    'file-mb': { type: 'string', default: '50' },
    'upload-concurrency': { type: 'string', default: '2' },
    'crypto-ms': { type: 'string', default: '3000' },
    only: { type: 'string', default: 'abcd' },
    profile: { type: 'string' },
  },
});
const REQUESTS = Number(opts.requests);
const DURATION_MS = Number(opts.duration) * 1000;
const CONCURRENCY = Number(opts.concurrency);
const BATCHES = Number(opts.batches);
const BATCH_SIZE = Number(opts['batch-size']);
const FILES = Number(opts.files);
const FILE_BYTES = Math.round(Number(opts['file-mb']) * 1024 * 1024);
const UPLOAD_CONCURRENCY = Number(opts['upload-concurrency']);
const CRYPTO_MS = Number(opts['crypto-ms']);
const ONLY = opts.only;
const PROFILE = opts.profile;

const results: Array<{ name: string; met: boolean }> = [];

function report(load: LoadResult): void {
  if (load.failed > 0) console.log(`  failures (${load.failed}; statuses ${JSON.stringify(load.statuses)}):\n    ${load.failures.join('\n    ')}`);
}

function json(request: Omit<LoadRequest, 'body'>, body: unknown): LoadRequest {
  return { ...request, headers: { ...request.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

async function single(bench: BenchSystem, load: LoadGenerator, signRate: number): Promise<void> {
  const auth = bench.auth('issuerA');
  const issue = (n: number, run: string): LoadRequest => json({ method: 'POST', path: '/v1/licenses', headers: auth }, licenseInput(n, run));
  // Warm-up (JIT, caches), not measured.
  await load.run({ base: bench.gatewayUrl, requests: Array.from({ length: 300 }, (_, n) => issue(n, 'W')), concurrency: CONCURRENCY });
  const requests = Array.from({ length: REQUESTS }, (_, n) => issue(n, 'S'));
  const meter = new ServerMeter();
  const result = await profiled(PROFILE, 'issuance-b-single', () => load.run({ base: bench.gatewayUrl, requests, concurrency: CONCURRENCY, durationMs: DURATION_MS }));
  const threads = meter.stop(load.threads);
  const rate = (result.ok * 1000) / result.elapsedMs;
  const lat = latencyOf(result.latencies);
  const ratio = rate / signRate;
  console.log(`\n(b) POST /v1/licenses, ${CONCURRENCY} clients, ${result.sent} requests in ${(result.elapsedMs / 1000).toFixed(1)} s`);
  line('issued', `${fmt(rate)} req/s`, `= ${(100 * ratio).toFixed(1)} % of (a) sm2Sign ${fmt(signRate)}/s (target ≥ 60 %: ${verdict(ratio >= 0.6)})`);
  line('latency p50 / p95 / p99', `${fmt(lat.p50, 1)} / ${fmt(lat.p95, 1)} / ${fmt(lat.p99, 1)} ms`, `max ${fmt(lat.max)} ms (target p99 < 100 ms: ${verdict(lat.p99 < 100)})`);
  line('errors', `${result.failed}`, JSON.stringify(result.statuses));
  console.log(`  ${describeThreads(threads)}`);
  console.log(`  ${describeCpuPer(threads, result.ok, 'license')}`);
  report(result);
  results.push({ name: '(b) single issuance ≥ 60 % of raw sign', met: ratio >= 0.6 }, { name: '(b) single issuance p99 < 100 ms', met: lat.p99 < 100 }, { name: '(b) no errors', met: result.failed === 0 });
}

async function batch(bench: BenchSystem, load: LoadGenerator): Promise<void> {
  const auth = bench.auth('issuerA');
  const body = (run: string, size: number): LoadRequest =>
    json({ method: 'POST', path: '/v1/licenses/batch', headers: auth }, { licenses: Array.from({ length: size }, (_, n) => licenseInput(n, run)) });
  await load.run({ base: bench.gatewayUrl, requests: [body('BW', 1000)], concurrency: 1 });
  const requests = Array.from({ length: BATCHES }, (_, b) => body(`B${b}`, BATCH_SIZE));
  let issued = 0;
  let failed = 0;
  let elapsedMs = 0;
  const perRequest: string[] = [];
  const meter = new ServerMeter();
  await profiled(PROFILE, 'issuance-c-batch', async () => {
    for (const request of requests) {
      const result = await load.run({ base: bench.gatewayUrl, requests: [request], concurrency: 1, collect: true });
      elapsedMs += result.elapsedMs;
      if (result.ok === 1) {
        const answer = JSON.parse(result.bodies?.[0] ?? '{}') as { issued: number; failed: number; txIds: string[] };
        issued += answer.issued;
        failed += answer.failed;
        perRequest.push(`${fmt(answer.issued)} in ${(result.elapsedMs / 1000).toFixed(2)} s (${answer.txIds.length} tx)`);
      } else {
        failed += BATCH_SIZE;
        perRequest.push(`failed: ${result.failures.join('; ').slice(0, 300)}`);
      }
    }
  });
  const threads = meter.stop(load.threads);
  const rate = (issued * 1000) / elapsedMs;
  console.log(`\n(c) POST /v1/licenses/batch, ${BATCHES} × ${fmt(BATCH_SIZE)} licenses, one request at a time`);
  line('committed', `${fmt(rate)} lic/s`, `target ≥ 20,000/s: ${verdict(rate >= 20_000)} (one seal signature per batch)`);
  line('licenses issued / failed', `${fmt(issued)} / ${fmt(failed)}`, perRequest.join('; '));
  console.log(`  ${describeThreads(threads)}`);
  console.log(`  ${describeCpuPer(threads, issued, 'license', 3)}`);
  results.push({ name: '(c) batch ≥ 20,000 licenses/s', met: rate >= 20_000 }, { name: '(c) no failed licenses', met: failed === 0 });
}

function multipart(fields: Record<string, string>, file: Uint8Array, boundary: string): Uint8Array[] {
  let head = '';
  for (const [name, value] of Object.entries(fields)) head += `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="material.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
  return [Buffer.from(head, 'utf8'), file, Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8')];
}

async function uploads(bench: BenchSystem, load: LoadGenerator): Promise<void> {
  // The files, in memory shared with the load worker (no copy): random bytes behind a PDF header.
  const files = Array.from({ length: FILES }, () => {
    const bytes = new Uint8Array(new SharedArrayBuffer(FILE_BYTES));
    randomFillSync(bytes);
    bytes.set(Buffer.from('%PDF-1.7\n%bench\n', 'latin1'));
    return bytes;
  });
  const raw = sm3Throughput(files);
  const boundary = `----lc-bench-${Date.now()}`;
  const auth = { ...bench.auth('portal'), 'content-type': `multipart/form-data; boundary=${boundary}` };
  const upload = (file: Uint8Array, n: number): LoadRequest => ({
    method: 'POST',
    path: '/v1/materials',
    headers: auth,
    body: multipart({ holderCodeType: '001', holderCode: companyCode(n), kind: '营业执照' }, file, boundary),
  });
  const warm = new Uint8Array(1024 * 1024);
  randomFillSync(warm);
  warm.set(Buffer.from('%PDF-1.7\n', 'latin1'));
  await load.run({ base: bench.gatewayUrl, requests: [upload(warm, 9_999_999)], concurrency: 1 });
  const meter = new ServerMeter();
  const result = await profiled(PROFILE, 'issuance-d-upload', () =>
    load.run({ base: bench.gatewayUrl, requests: files.map((f, n) => upload(f, n)), concurrency: UPLOAD_CONCURRENCY, collect: true }),
  );
  const threads = meter.stop(load.threads);
  const digestsAgree = (result.bodies ?? []).every((body, i) => body !== undefined && (JSON.parse(body) as { digest?: string }).digest === `sm3:${raw.digests[i]}`);
  const rate = (FILES * FILE_BYTES * 1000) / result.elapsedMs;
  const ratio = rate / raw.bytesPerSecond;
  const mb = (bytesPerSecond: number): string => `${fmt(bytesPerSecond / 1024 / 1024, 1)} MB/s`;
  console.log(`\n(d) material upload, ${FILES} × ${fmt(FILE_BYTES / 1024 / 1024)} MB, ${UPLOAD_CONCURRENCY} at a time (portal, multipart)`);
  line('raw SM3 (createHash, 64 KiB updates, 1 thread)', mb(raw.bytesPerSecond), 'baseline');
  line('POST /v1/materials', mb(rate), `= ${(100 * ratio).toFixed(1)} % of raw SM3 (target ≥ 70 %: ${verdict(ratio >= 0.7)})`);
  line('errors', `${result.failed}`, `${JSON.stringify(result.statuses)}; ledger digests equal the raw ones: ${digestsAgree ? 'yes' : 'NO'}`);
  console.log(`  ${describeThreads(threads)}`);
  console.log(`  ${describeCpuPer(threads, (FILES * FILE_BYTES) / 1024 / 1024, 'MB')}`);
  report(result);
  results.push({ name: '(d) upload ≥ 70 % of raw SM3', met: ratio >= 0.7 }, { name: '(d) uploads ok, digests agree', met: result.failed === 0 && digestsAgree });
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`issuance bench: Node ${process.version}, ${availableParallelism()} core(s), load average ${loadAverage()}`);
  let signRate = NaN;
  if (/[ab]/.test(ONLY)) {
    const sign = await cryptoRate('sm2-sign', CRYPTO_MS);
    const ses = await cryptoRate('ses-sign', CRYPTO_MS);
    signRate = sign.total;
    console.log(`\n(a) raw signing, ${sign.perThread.length} worker threads × ${CRYPTO_MS} ms`);
    line('sm2Sign, fixed digest (baseline)', `${fmt(sign.total)} /s`, `per thread ${sign.perThread.map((r) => fmt(r)).join(', ')}`);
    line('signWithSeal (GB/T 38540, incl. self-check)', `${fmt(ses.total)} /s`, 'context: what issuance runs per license');
  }
  const bench = await startBenchSystem();
  closeOnSignal(bench);
  const load = await LoadGenerator.start();
  try {
    if (ONLY.includes('b')) await single(bench, load, signRate);
    if (ONLY.includes('c')) await batch(bench, load);
    if (ONLY.includes('d')) await uploads(bench, load);
  } finally {
    await load.close();
    await bench.close();
  }
  console.log(`\ntargets met: ${results.filter((r) => r.met).length} / ${results.length}${results.filter((r) => !r.met).map((r) => `\n  missed: ${r.name}`).join('')}`);
  console.log(`load average ${loadAverage()}; ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
