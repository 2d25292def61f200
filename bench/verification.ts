/**
 * Verification throughput of the verifier, next to its baseline measured in the same run.
 *
 * (a) raw SM2 verification on every core (worker threads): `sm2Verify` with the key as bytes
 *     (through the library's key cache, as seal verification calls it) — and, for context,
 *     `verifySealSignature`, the whole seal check of one presented license (its signature, the
 *     seal maker's signature, two certificate chains: four SM2 verifications), and the same with
 *     the seal-level cache the verifier's threads keep (distinct documents, one seal: one SM2
 *     verification and the signature's decoding per document);
 * (b) `POST /v1/verify/license` of `--documents` distinct single-sealed licenses (issued first
 *     through the gateway, not measured), `--concurrency` keep-alive clients: req/s, p50/p99;
 *     target ≥ 70 % of (a), p99 < 50 ms;
 * (c) the same for `--batch-size` licenses sealed by one batch signature (one batch issued first);
 *     target ≥ 10 000 verifications/s;
 * (d) QR status checks `GET /v1/verify/license/:identifier?digest=` of those batch licenses;
 *     target ≥ 10 000/s.
 * (c) and (d) each run twice over the same licenses: first sight (the verification facts are read
 * from the ledger), then again (the facts come from the verifier's cache, which chaincode events
 * invalidate — `verifier/facts-cache.ts`).
 * A verification counts only when the answer says `"verified":true`.
 *
 * The public routes are rate-limited per client address; the clients spread their connections
 * over `--addresses` loopback addresses (see support/http-load.ts), so the limiter runs but does
 * not refuse.
 *
 *   npm run bench:verification -- [--documents 2000] [--batch-size 10000] [--concurrency 64]
 *     [--addresses 256] [--duration 30] [--crypto-ms 3000] [--only abcd] [--profile DIR]
 *
 * `--profile DIR` writes a CPU profile of the server (main thread) per measured phase to DIR
 * (summarise with `node build/bench/profile-top.js DIR/*.cpuprofile`).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { SealedLicense } from '../domain/license-document';
import { cryptoRate } from './support/crypto-rate';
import { LoadGenerator, type LoadRequest, type LoadResult } from './support/http-load';
import { profiled } from './support/profiler';
import { ServerMeter, describeThreads, fmt, latencyOf, line, loadAverage, verdict } from './support/measure';
import { closeOnSignal, licenseInput, startBenchSystem, type BenchSystem } from './support/system';

const { values: opts } = parseArgs({
  options: {
    documents: { type: 'string', default: '2000' },
    'batch-size': { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    addresses: { type: 'string', default: '256' },
    duration: { type: 'string', default: '30' },
    'crypto-ms': { type: 'string', default: '3000' },
    only: { type: 'string', default: 'abcd' },
    profile: { type: 'string' },
  },
});
const DOCUMENTS = Number(opts.documents);
const BATCH_SIZE = Number(opts['batch-size']);
const CONCURRENCY = Number(opts.concurrency);
const ADDRESSES = Number(opts.addresses);
const DURATION_MS = Number(opts.duration) * 1000;
const CRYPTO_MS = Number(opts['crypto-ms']);
const ONLY = opts.only;
const PROFILE = opts.profile;
const WARM = 200;
const VERIFIED = '"verified":true';

const results: Array<{ name: string; met: boolean }> = [];

function report(load: LoadResult): void {
  if (load.failed > 0) console.log(`  failures (${load.failed}; statuses ${JSON.stringify(load.statuses)}):\n    ${load.failures.join('\n    ')}`);
}

function verifyRequest(sealed: SealedLicense): LoadRequest {
  return { method: 'POST', path: '/v1/verify/license', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ document: sealed }) };
}

function qrRequest(sealed: SealedLicense): LoadRequest {
  return { method: 'GET', path: `/v1/verify/license/${encodeURIComponent(sealed.document.identifier)}?digest=${encodeURIComponent(sealed.digest)}`, headers: { accept: 'application/json' } };
}

/** Issues `count` single-sealed licenses through the gateway; their sealed documents. */
async function issueSingles(bench: BenchSystem, load: LoadGenerator, count: number): Promise<SealedLicense[]> {
  const auth = { ...bench.auth('issuerA'), 'content-type': 'application/json' };
  const requests = Array.from({ length: count }, (_, n): LoadRequest => ({ method: 'POST', path: '/v1/licenses', headers: auth, body: JSON.stringify(licenseInput(n, 'V')) }));
  const result = await load.run({ base: bench.gatewayUrl, requests, concurrency: CONCURRENCY, collect: true });
  if (result.failed > 0) throw new Error(`issuing the licenses to verify failed: ${result.failures.join('; ')}`);
  console.log(`  issued ${fmt(count)} single-sealed licenses in ${(result.elapsedMs / 1000).toFixed(1)} s (setup, not measured)`);
  return (result.bodies ?? []).map((body) => (JSON.parse(body as string) as { document: SealedLicense }).document);
}

/** Issues one batch; its sealed documents, read from the gateway's store. */
async function issueBatch(bench: BenchSystem, load: LoadGenerator, size: number): Promise<SealedLicense[]> {
  const auth = { ...bench.auth('issuerA'), 'content-type': 'application/json' };
  const body = JSON.stringify({ licenses: Array.from({ length: size }, (_, n) => licenseInput(n, 'VB')) });
  const result = await load.run({ base: bench.gatewayUrl, requests: [{ method: 'POST', path: '/v1/licenses/batch', headers: auth, body }], concurrency: 1, collect: true });
  const answer = JSON.parse(result.bodies?.[0] ?? '{}') as { issued?: number; results?: Array<{ identifier?: string }> };
  if (result.failed > 0 || answer.issued !== size) throw new Error(`issuing the batch failed: ${result.failures.join('; ')} ${JSON.stringify(answer).slice(0, 300)}`);
  console.log(`  issued a batch of ${fmt(size)} in ${(result.elapsedMs / 1000).toFixed(1)} s (setup, not measured)`);
  const documents: SealedLicense[] = [];
  for (const { identifier } of answer.results ?? []) {
    const stored = await bench.system.gateway.lc.licenses.get(identifier as string);
    if (!stored) throw new Error(`the gateway does not hold ${identifier}`);
    documents.push(stored.sealed);
  }
  return documents;
}

async function measure(
  bench: BenchSystem,
  load: LoadGenerator,
  name: string,
  title: string,
  requests: LoadRequest[],
): Promise<{ rate: number; p50: number; p99: number; failed: number }> {
  const meter = new ServerMeter();
  const result = await profiled(PROFILE, name, () =>
    load.run({ base: bench.verifierUrl, requests, concurrency: CONCURRENCY, addresses: ADDRESSES, durationMs: DURATION_MS, mustInclude: VERIFIED }),
  );
  const threads = meter.stop(load.threads);
  const rate = (result.ok * 1000) / result.elapsedMs;
  const lat = latencyOf(result.latencies);
  console.log(`\n${title}: ${fmt(result.sent)} requests in ${(result.elapsedMs / 1000).toFixed(1)} s, ${CONCURRENCY} clients`);
  line('verified', `${fmt(rate)} /s`, '');
  line('latency p50 / p95 / p99', `${fmt(lat.p50, 1)} / ${fmt(lat.p95, 1)} / ${fmt(lat.p99, 1)} ms`, `max ${fmt(lat.max)} ms`);
  line('errors (incl. not verified)', `${result.failed}`, JSON.stringify(result.statuses));
  console.log(`  ${describeThreads(threads)}`);
  // CPU per verification, from /proc (the machine is shared: req/s alone says little).
  const per = (ms: number): string => fmt(ms / Math.max(1, result.ok), 2);
  line(
    'CPU ms per verification (server)',
    `${per(threads.split.mainMs + threads.split.otherMs)} ms`,
    `main thread ${per(threads.split.mainMs)} + other threads (seal workers, libuv, V8) ${per(threads.split.otherMs)}; load clients ${per(threads.split.loadMs)}`,
  );
  report(result);
  return { rate, p50: lat.p50, p99: lat.p99, failed: result.failed };
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`verification bench: Node ${process.version}, ${availableParallelism()} core(s), load average ${loadAverage()}`);
  let verifyRate = NaN;
  if (/[ab]/.test(ONLY)) {
    const raw = await cryptoRate('sm2-verify', CRYPTO_MS);
    const ses = await cryptoRate('ses-verify', CRYPTO_MS);
    const sesCached = await cryptoRate('ses-verify-cached', CRYPTO_MS);
    verifyRate = raw.total;
    console.log(`\n(a) raw verification, ${raw.perThread.length} worker threads × ${CRYPTO_MS} ms`);
    line('sm2Verify, key as bytes (baseline)', `${fmt(raw.total)} /s`, `per thread ${raw.perThread.map((r) => fmt(r)).join(', ')}`);
    line('verifySealSignature (4 SM2 verifies)', `${fmt(ses.total)} /s`, 'context: the seal check of one presented license, uncached');
    line('verifySealSignature, seal-level cache', `${fmt(sesCached.total)} /s`, 'context: the same, distinct documents of one seal (1 SM2 verify)');
  }
  const bench = await startBenchSystem();
  closeOnSignal(bench);
  const load = await LoadGenerator.start();
  try {
    console.log('\nsetup');
    if (ONLY.includes('b')) {
      const singles = await issueSingles(bench, load, DOCUMENTS + WARM);
      await load.run({ base: bench.verifierUrl, requests: singles.slice(DOCUMENTS).map(verifyRequest), concurrency: CONCURRENCY, addresses: ADDRESSES });
      const b = await measure(bench, load, 'verification-b-single', '(b) POST /v1/verify/license, distinct single-sealed documents', singles.slice(0, DOCUMENTS).map(verifyRequest));
      const ratio = b.rate / verifyRate;
      line('→ vs (a)', `${(100 * ratio).toFixed(1)} %`, `of sm2Verify ${fmt(verifyRate)}/s (target ≥ 70 %: ${verdict(ratio >= 0.7)}); p99 target < 50 ms: ${verdict(b.p99 < 50)}`);
      results.push({ name: '(b) verify ≥ 70 % of raw SM2 verify', met: ratio >= 0.7 }, { name: '(b) verify p99 < 50 ms', met: b.p99 < 50 }, { name: '(b) all verified', met: b.failed === 0 });
    }
    if (/[cd]/.test(ONLY)) {
      const batch = await issueBatch(bench, load, BATCH_SIZE);
      // Each phase twice: first sight of every license (facts read from the ledger), then the
      // same requests again (facts from the cache the ledger's events keep honest).
      const twice = async (phase: 'c' | 'd', title: string, requests: LoadRequest[]): Promise<void> => {
        for (const pass of ['first', 'again'] as const) {
          const label = pass === 'first' ? 'each license for the first time (facts read from the ledger)' : 'the same licenses again (facts from the event-invalidated cache)';
          const r = await measure(bench, load, `verification-${phase}-${pass}`, `(${phase}) ${title}, ${label}`, requests);
          line('→ target', verdict(r.rate >= 10_000), '≥ 10,000 verifications/s');
          results.push({ name: `(${phase}) ${title} ≥ 10,000/s, ${pass === 'first' ? 'first sight' : 'cached facts'}`, met: r.rate >= 10_000 }, { name: `(${phase}) all verified (${pass})`, met: r.failed === 0 });
        }
      };
      if (ONLY.includes('c')) {
        await load.run({ base: bench.verifierUrl, requests: batch.slice(0, WARM).map(verifyRequest), concurrency: CONCURRENCY, addresses: ADDRESSES });
        await twice('c', 'POST /v1/verify/license, batch-sealed documents', batch.slice(WARM).map(verifyRequest));
      }
      if (ONLY.includes('d')) {
        await load.run({ base: bench.verifierUrl, requests: batch.slice(0, WARM).map(qrRequest), concurrency: CONCURRENCY, addresses: ADDRESSES });
        await twice('d', 'GET /v1/verify/license/:identifier?digest= (QR)', batch.slice(WARM).map(qrRequest));
      }
    }
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
