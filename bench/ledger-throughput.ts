/**
 * Embedded ledger throughput, next to raw LevelDB measured in the same run.
 *
 * (a) raw LevelDB: the same number of small keys written with `db.batch` in batches the size of
 *     a block, synced like the ledger's blocks;
 * (b) the ledger: single-key `Put` transactions through the whole path (proposal signed with
 *     node:crypto, identity and signature checked, chaincode dispatched by fabric-shim, MVCC
 *     validation, atomic block commit), `inFlight` submits at a time.
 *
 *   node build/bench/ledger-throughput.js [transactions=20000] [inFlight=64] [signer=pool|node]
 *
 * `signer`: proposals signed on a worker thread (`SigningPool`, as the embedded system does) or
 * with node:crypto's async sign on the thread pool (`newNodeSigner`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { CertificateAuthority } from '../certs/certificate-authority';
import { newNodeSigner } from '../certs/signer';
import { SigningPool } from '../certs/signing-pool';
import { DEFAULT_BLOCK_CUTTER, EmbeddedLedger } from '../ledger/embedded';
import { contracts } from '../test/ledger/fixtures/asset-contract';

const total = Number(process.argv[2] ?? 20_000);
const inFlight = Number(process.argv[3] ?? 64);
const signerKind = process.argv[4] ?? 'pool';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function rawLevel(dir: string): Promise<number> {
  const db = new Level<string, Buffer>(join(dir, 'raw'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const value = Buffer.alloc(24, 1);
  const started = performance.now();
  for (let i = 0; i < total; i += DEFAULT_BLOCK_CUTTER.maxTransactions) {
    const ops = [];
    for (let j = i; j < Math.min(total, i + DEFAULT_BLOCK_CUTTER.maxTransactions); j++) {
      ops.push({ type: 'put' as const, key: `S:bench:key-${j}`, value });
    }
    await db.batch(ops, { sync: true });
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return total / seconds;
}

async function ledger(dir: string): Promise<{ tps: number; p50: number; p99: number; blocks: number; mainThread: number; cpuPerTx: number }> {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org1' });
  const credentials = await ca.issueIdentity({ commonName: 'bench', attrs: { 'lc.role': 'issuer' } });
  const ledger = await EmbeddedLedger.open({
    path: join(dir, 'ledger'),
    channel: { channelId: 'licensechain', organisations: [{ mspId: 'Org1MSP', rootCertificates: [ca.certificate] }] },
    chaincodes: [{ name: 'asset', version: '1', contracts }],
  });
  const pool = new SigningPool();
  const signer = signerKind === 'node' ? newNodeSigner(credentials.privateKey) : pool.signer(credentials.privateKey);
  const contract = ledger.connect({ identity: { mspId: 'Org1MSP', credentials: Buffer.from(credentials.certificate) }, signer }).getContract();
  // Warm-up: certificate caches, JIT.
  await Promise.all(Array.from({ length: 200 }, (_, i) => contract.submit('Put', { arguments: [`warm-${i}`, 'v'] })));
  const startHeight = ledger.height;
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const n = next++;
        const t0 = performance.now();
        await contract.submit('Put', { arguments: [`key-${n}`, `value-${n}`] });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const mainThread = performance.eventLoopUtilization(elu).utilization;
  const used = process.cpuUsage(cpu);
  const cpuPerTx = (used.user + used.system) / total;
  const blocks = ledger.height - startHeight;
  await ledger.close();
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { tps: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), blocks, mainThread, cpuPerTx };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lc-bench-'));
  try {
    const raw = await rawLevel(dir);
    const result = await ledger(dir);
    const { maxTransactions, timeoutMs } = DEFAULT_BLOCK_CUTTER;
    console.log(`transactions: ${total}, in flight: ${inFlight}, block cut: ${maxTransactions} tx or ${timeoutMs} ms or when idle, sync: on, signer: ${signerKind}`);
    console.log(`(a) raw LevelDB batched writes:   ${raw.toFixed(0)} keys/s`);
    console.log(`(b) embedded ledger committed:    ${result.tps.toFixed(0)} tx/s in ${result.blocks} blocks`);
    console.log(`    ratio (b)/(a):                ${((100 * result.tps) / raw).toFixed(1)} %  (target ≥ 25 %, ≥ 5000 tx/s)`);
    console.log(`    main thread busy:             ${(100 * result.mainThread).toFixed(0)} %; CPU (all threads) ${result.cpuPerTx.toFixed(0)} µs per tx`);
    console.log(`    commit latency p50 / p99:     ${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} ms  (target p50 < ${timeoutMs + 10} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
