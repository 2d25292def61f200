/**
 * Embedded ledger throughput, next to raw LevelDB measured in the same run.
 *
 * (a) raw storage of the same volume, as the ledger stores it: per block, its bytes appended to a
 *     file and flushed, then one synced LevelDB batch (the block's location, and per transaction a
 *     state entry, an empty history index entry and a transaction index entry); and raw LevelDB
 *     with one small key per transaction in synced batches the size of a block;
 * (b) the ledger: single-key `Put` transactions through the whole path (proposal signed with
 *     node:crypto, identity and signature checked, chaincode dispatched by fabric-shim, MVCC
 *     validation, atomic block commit), `inFlight` submits at a time.
 *
 *   node build/bench/ledger-throughput.js [transactions=20000] [inFlight=64] [signer=node|pool]
 *
 * `signer`: proposals signed on a worker thread (`SigningPool`, as the embedded system does) or
 * with node:crypto's async sign on the thread pool (`newNodeSigner`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
const signerKind = process.argv[4] ?? 'node';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** What the ledger wrote per transaction, read back from its blocks: the raw baseline writes as much. */
interface Volume {
  readonly txBytes: number;
  readonly txPerBlock: number;
}

/**
 * Raw storage, same volume: per block of the ledger's average size, a block share of `txBytes` per
 * transaction appended to a file and flushed, then one synced LevelDB batch with the block's
 * location and, per transaction, a state entry, an (empty) history index entry and a transaction
 * index entry — the ledger's writes. With `keysOnly`, one small put per transaction instead.
 */
async function rawLevel(dir: string, volume: Volume, keysOnly: boolean): Promise<number> {
  const db = new Level<string, Buffer>(join(dir, keysOnly ? 'raw-keys' : 'raw-volume'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const blockFile = keysOnly ? undefined : await open(join(dir, 'raw-blocks'), 'w');
  const small = Buffer.alloc(24, 1);
  const location = Buffer.alloc(16, 2);
  const index = Buffer.alloc(40, 3);
  const perBatch = Math.max(1, Math.round(volume.txPerBlock));
  const started = performance.now();
  for (let i = 0; i < total; i += perBatch) {
    const n = Math.min(perBatch, total - i);
    const ops: Array<{ type: 'put'; key: string; value: Buffer }> = [];
    if (blockFile) {
      await blockFile.write(Buffer.alloc(Math.round(volume.txBytes * n), 4));
      await blockFile.datasync();
      ops.push({ type: 'put', key: `B:${i}`, value: location });
    }
    for (let j = i; j < i + n; j++) {
      ops.push({ type: 'put', key: `S:bench:key-${j}`, value: small });
      if (!keysOnly) {
        ops.push({ type: 'put', key: `H:bench:key-${j}`, value: Buffer.alloc(0) });
        ops.push({ type: 'put', key: `T:${j}`, value: index });
      }
    }
    await db.batch(ops, { sync: true });
  }
  const seconds = (performance.now() - started) / 1000;
  await blockFile?.close();
  await db.close();
  return total / seconds;
}

async function ledger(dir: string): Promise<{ tps: number; p50: number; p99: number; blocks: number; mainThread: number; cpuPerTx: number; volume: Volume }> {
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
  let blockBytes = 0;
  for (let n = startHeight; n < ledger.height; n++) blockBytes += ((await ledger.store.readBlockBytes(n)) as Buffer).length;
  const volume: Volume = { txBytes: blockBytes / total, txPerBlock: total / blocks };
  await ledger.close();
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { tps: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), blocks, mainThread, cpuPerTx, volume };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lc-bench-'));
  try {
    const result = await ledger(dir);
    const raw = await rawLevel(dir, result.volume, false);
    const rawKeys = await rawLevel(dir, result.volume, true);
    const { maxTransactions, timeoutMs } = DEFAULT_BLOCK_CUTTER;
    console.log(`transactions: ${total}, in flight: ${inFlight}, block cut: ${maxTransactions} tx or ${timeoutMs} ms or when idle, sync: on, signer: ${signerKind}`);
    console.log(`(a) raw storage, same volume:    ${raw.toFixed(0)} tx/s (${result.volume.txBytes.toFixed(0)} block bytes per tx appended and flushed, then 3 puts per tx in synced batches of ${result.volume.txPerBlock.toFixed(0)})`);
    console.log(`    raw LevelDB, one key per tx:  ${rawKeys.toFixed(0)} tx/s (same batches)`);
    console.log(`(b) embedded ledger committed:    ${result.tps.toFixed(0)} tx/s in ${result.blocks} blocks`);
    console.log(`    ratio (b)/(a):                ${((100 * result.tps) / raw).toFixed(1)} % of same volume, ${((100 * result.tps) / rawKeys).toFixed(1)} % of one key per tx  (target ≥ 25 %, ≥ 5000 tx/s)`);
    console.log(`    main thread busy:             ${(100 * result.mainThread).toFixed(0)} %; CPU (all threads) ${result.cpuPerTx.toFixed(0)} µs per tx`);
    console.log(`    commit latency p50 / p99:     ${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} ms  (target p50 < ${timeoutMs + 10} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
