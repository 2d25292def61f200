/**
 * Issuance on Hyperledger Fabric (issue #7): the same workload — one license per transaction,
 * `--concurrency` in flight — three ways, in one run, side by side:
 *
 * (a) the embedded ledger through our gateway: `POST /v1/licenses` over HTTP (as bench/issuance.ts
 *     (b)), embedded system in a temporary data folder;
 * (b) Fabric through our gateway: the Fabric system (`LC_LEDGER=fabric`, system/fabric-system.ts)
 *     with a temporary data folder, on the running network `<--fabric-dir>/network.json`;
 *     `POST /v1/licenses` over HTTP;
 * (c) Fabric through a bare `@hyperledger/fabric-gateway` client: the same `license:Issue`
 *     transactions (same argument shape as the gateway's: identifier, typeCode, sealId, holderRef,
 *     holderCodeType, numberDigest, docDigest, validity, areaCode — canonical JSON), as issuerA of
 *     AgencyAMSP with the demo seal `AgencyAMSP.seal-1`, through one gRPC client to AgencyAMSP's
 *     peer, `submitAsync` + `getStatus`, signed with our node:crypto signer (`newNodeSigner`,
 *     `hash.none`) — so (b) − (c) is our gateway: HTTP, document building, sealing, stores.
 *
 * For each: licenses committed per second, latency p50/p95/p99, errors, the blocks our
 * transactions landed in (licenses per block: a block cut by the batch timeout holds at most the
 * transactions in flight), CPU of this process's threads (ServerMeter) and of the Fabric network's
 * processes (from `/proc`, `<fabric-dir>/pids/*.json`; other users of the network count too).
 * Target: (b) ≥ 80 % of (c). Printed with the orderer batch settings in force (network.json
 * `ordererBatch`), a quick signer comparison (bench/fabric-signer.ts has the full one) and the
 * load average (the machine may be shared).
 *
 * Without Fabric's binaries (FABRIC_BIN / PATH) or without `network.json`, one line says so and
 * only (a) runs. The network is used as it is (never brought up or down here); every license
 * written has a random run tag in its number/serial, so runs never collide with each other or
 * with other users of the network.
 *
 *   FABRIC_BIN=… npm run bench:fabric -- [--duration 15] [--requests 20000] [--warmup 300]
 *     [--concurrency 64] [--fabric-dir data/fabric] [--only abc] [--signer-ms 1000] [--rounds 2]
 *
 * `--rounds N` measures (b) and (c) N times each, alternating (one Fabric system and one bare
 * client, warmed up once), and compares their totals: on a shared machine, a change of load then
 * falls on both.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Contract, type Gateway } from '@hyperledger/fabric-gateway';
import { findMember, loadConsortium, memberCredentials } from '../certs/consortium';
import { newNodeSigner } from '../certs/signer';
import { canonicalJson } from '../domain/canonical-json';
import { digestOf } from '../domain/digest';
import { holderRef } from '../domain/holder-ref';
import { makeLicenseIdentifier } from '../domain/license-identifier';
import { DEFAULT_DEADLINES, decodeChainInfo, peerFor, readFabricNetwork, type FabricNetworkDescription } from '../ledger/fabric';
import { fabricMissing } from '../network/binaries';
import type { OrdererBatch } from '../network/layout';
import { DEMO_ORGANISATIONS } from '../system/demo-consortium';
import { DEMO_LICENSE_TYPES } from '../system/demo-ledger';
import { demoSealId } from '../system/demo-seals';
import type { LicenseChainSystem } from '../system/services';
import { LoadGenerator, type LoadRequest } from './support/http-load';
import { ServerMeter, describeThreads, fmt, latencyOf, line, loadAverage, verdict, type CpuSplit } from './support/measure';
import { companyCode, licenseInput, startBenchSystem, startFabricBenchSystem, type BenchSystem } from './support/system';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '64' },
    'fabric-dir': { type: 'string', default: process.env.LC_FABRIC_DIR ?? join('data', 'fabric') },
    only: { type: 'string', default: 'abc' },
    'signer-ms': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
  },
});
const DURATION_MS = Number(opts.duration) * 1000;
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);
const CONCURRENCY = Number(opts.concurrency);
const FABRIC_DIR = resolve(opts['fabric-dir']);
const NETWORK_FILE = join(FABRIC_DIR, 'network.json');
const ONLY = opts.only;
const SIGNER_MS = Number(opts['signer-ms']);
const ROUNDS = Math.max(1, Number(opts.rounds));

/** A tag unique to this run, in every license number and serial written. */
const RUN = randomInt(36 ** 6).toString(36).toUpperCase().padStart(6, '0');

const ISSUER_MSP = 'AgencyAMSP';
const ISSUER = 'issuerA';
const TYPE_A = DEMO_LICENSE_TYPES[0] as (typeof DEMO_LICENSE_TYPES)[number];
const ISSUER_CODE = (DEMO_ORGANISATIONS.find((o) => o.mspId === ISSUER_MSP) as (typeof DEMO_ORGANISATIONS)[number]).code;

// --- measuring -------------------------------------------------------------------------------

interface Figures {
  readonly name: string;
  readonly committed: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly latencies: Float64Array;
  readonly statuses: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
  /** Block number → our licenses in it. */
  readonly blocks: ReadonlyMap<number, number>;
  readonly threads: { mainBusy: number; split: CpuSplit; wallMs: number };
  /** What this process's threads are in this variant. */
  readonly roles: { main: string; other: string };
  readonly fabric?: FabricCpu;
  /** Channel height before / after (every user's blocks). */
  readonly height?: { before: number; after: number };
  /** (c): endorse + hand to the orderer, and the wait for the commit status, p50 ms. */
  readonly split?: { submitP50: number; commitP50: number };
}

interface FabricCpu {
  readonly wallMs: number;
  readonly perProcess: ReadonlyArray<{ name: string; ms: number }>;
}

const TICK_MS = 10; // USER_HZ

function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** CPU of the network's processes (orderer, peers, chaincode server) over one measurement. */
class FabricMeter {
  readonly #processes: Array<{ name: string; pid: number; before: number }> = [];
  readonly #started = performance.now();

  constructor(fabricDir: string) {
    const pidsDir = join(fabricDir, 'pids');
    let files: string[] = [];
    try {
      files = readdirSync(pidsDir).filter((f) => f.endsWith('.json'));
    } catch {
      return;
    }
    for (const file of files.sort()) {
      try {
        const { name, pid } = JSON.parse(readFileSync(join(pidsDir, file), 'utf8')) as { name: string; pid: number };
        const before = processCpuMs(pid);
        if (before !== undefined) this.#processes.push({ name, pid, before });
      } catch {
        // not a process record
      }
    }
  }

  stop(): FabricCpu {
    const wallMs = performance.now() - this.#started;
    return { wallMs, perProcess: this.#processes.map((p) => ({ name: p.name, ms: (processCpuMs(p.pid) ?? p.before) - p.before })) };
  }
}

// --- (a), (b): our gateway over HTTP ---------------------------------------------------------

function issueRequest(bench: BenchSystem<LicenseChainSystem>, n: number, run: string): LoadRequest {
  return {
    method: 'POST',
    path: '/v1/licenses',
    headers: { ...bench.auth('issuerA'), 'content-type': 'application/json' },
    body: JSON.stringify(licenseInput(n, run)),
  };
}

async function throughGateway(
  name: string,
  bench: BenchSystem<LicenseChainSystem>,
  load: LoadGenerator,
  tag: string,
  warm: boolean,
  height?: () => Promise<number>,
): Promise<Figures> {
  // Warm-up (JIT, issuing cache, connections), not measured.
  if (warm) await load.run({ base: bench.gatewayUrl, requests: Array.from({ length: WARMUP }, (_, n) => issueRequest(bench, n, `${RUN}${tag}W`)), concurrency: CONCURRENCY });
  const requests = Array.from({ length: REQUESTS }, (_, n) => issueRequest(bench, n, `${RUN}${tag}M`));
  const before = height ? await height() : undefined;
  const fabric = height ? new FabricMeter(FABRIC_DIR) : undefined;
  const meter = new ServerMeter();
  const result = await load.run({ base: bench.gatewayUrl, requests, concurrency: CONCURRENCY, durationMs: DURATION_MS, collect: true });
  const threads = meter.stop(load.threads);
  const fabricCpu = fabric?.stop();
  const after = height ? await height() : undefined;
  const blocks = new Map<number, number>();
  for (const body of result.bodies ?? []) {
    if (body === undefined) continue;
    try {
      const { blockNumber } = JSON.parse(body) as { blockNumber?: number };
      if (typeof blockNumber === 'number') blocks.set(blockNumber, (blocks.get(blockNumber) ?? 0) + 1);
    } catch {
      // an error body
    }
  }
  return {
    name,
    committed: result.ok,
    failed: result.failed,
    elapsedMs: result.elapsedMs,
    latencies: result.latencies,
    statuses: result.statuses,
    failures: result.failures,
    blocks,
    threads,
    roles: { main: 'gateway main thread', other: 'gateway signers, libuv, V8' },
    ...(fabricCpu ? { fabric: fabricCpu } : {}),
    ...(before !== undefined && after !== undefined ? { height: { before, after } } : {}),
  };
}

// --- (c): bare fabric-gateway ----------------------------------------------------------------

interface BareClient {
  readonly gateway: Gateway;
  readonly contract: Contract;
  readonly identityId: string;
  height(): Promise<number>;
  close(): void;
}

async function bareClient(network: FabricNetworkDescription): Promise<BareClient> {
  const consortium = await loadConsortium(network.consortiumDir);
  const credentials = await memberCredentials(consortium, ISSUER_MSP, ISSUER);
  const peer = peerFor(network, ISSUER_MSP);
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaCertificatePath)), {
    'grpc.ssl_target_name_override': peer.hostnameOverride ?? peer.name,
    'grpc.default_authority': peer.hostnameOverride ?? peer.name,
  });
  const deadline = (ms: number) => () => ({ deadline: Date.now() + ms });
  const gateway = connect({
    client,
    identity: { mspId: ISSUER_MSP, credentials: Buffer.from(credentials.certificate) },
    signer: newNodeSigner(credentials.privateKey),
    hash: hash.none,
    evaluateOptions: deadline(DEFAULT_DEADLINES.evaluate),
    endorseOptions: deadline(DEFAULT_DEADLINES.endorse),
    submitOptions: deadline(DEFAULT_DEADLINES.submit),
    commitStatusOptions: deadline(DEFAULT_DEADLINES.commitStatus),
  });
  const fabricNetwork = gateway.getNetwork(network.channel);
  const qscc = fabricNetwork.getContract('qscc');
  return {
    gateway,
    contract: fabricNetwork.getContract(network.chaincode),
    identityId: findMember(consortium, ISSUER_MSP, ISSUER).clientId,
    height: async () => decodeChainInfo(await qscc.evaluateTransaction('GetChainInfo', network.channel)).height,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

const HOLDER_KEY = randomBytes(32);

/** The `license:Issue` argument the gateway would send for license `n` of run `tag`: same fields, canonical JSON. */
function issueArgument(n: number, tag: string): string {
  const number = `沪食经${tag}${String(n).padStart(7, '0')}`;
  // `tag` ends with a letter and `n` is decimal, so no two (tag, n) give the same serial.
  const serial = `${tag}${n}`;
  return canonicalJson({
    identifier: makeLicenseIdentifier({ typeCode: TYPE_A.typeCode, issuerCode: ISSUER_CODE, serial, version: 1 }),
    typeCode: TYPE_A.typeCode,
    sealId: demoSealId(ISSUER_MSP),
    holderRef: holderRef(HOLDER_KEY, '001', companyCode(n % 10_000_000)),
    holderCodeType: '001',
    numberDigest: digestOf(Buffer.from(number, 'utf8'), 'sm3'),
    // Stands for the SM3 digest of the sealed document, which this client does not build.
    docDigest: digestOf(`${tag}/${n}/${randomInt(2 ** 47)}`, 'sm3'),
    validFrom: '2025-03-01',
    validUntil: '2035-02-28',
    areaCode: '310101',
  });
}

function errorText(error: unknown): string {
  const e = error as { message?: string; details?: Array<{ message: string }> };
  return [e.message ?? String(error), ...(e.details ?? []).map((d) => d.message)].join(' | ').slice(0, 300);
}

async function bareRun(client: BareClient, tag: string, count: number, durationMs: number): Promise<Omit<Figures, 'name' | 'threads' | 'roles' | 'fabric' | 'height'> & { submitLatencies: Float64Array; commitLatencies: Float64Array }> {
  const latencies = new Float64Array(count);
  const submitLatencies = new Float64Array(count);
  const commitLatencies = new Float64Array(count);
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const blocks = new Map<number, number>();
  let next = 0;
  let done = 0;
  let ok = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const fail = (what: string): void => {
    statuses[what.split(':')[0] as string] = (statuses[what.split(':')[0] as string] ?? 0) + 1;
    if (failures.length < 5) failures.push(what);
  };
  const lane = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const n = next++;
      const t0 = performance.now();
      let t1 = t0;
      try {
        const submitted = await client.contract.submitAsync('license:Issue', { arguments: [issueArgument(n, tag)] });
        t1 = performance.now();
        const status = await submitted.getStatus();
        if (status.successful) {
          ok++;
          statuses.VALID = (statuses.VALID ?? 0) + 1;
          const block = Number(status.blockNumber);
          blocks.set(block, (blocks.get(block) ?? 0) + 1);
        } else {
          fail(`invalid: validation code ${status.code} (${status.transactionId})`);
        }
      } catch (error) {
        fail(`error: ${errorText(error)}`);
      }
      const t2 = performance.now();
      submitLatencies[done] = t1 - t0;
      commitLatencies[done] = t2 - t1;
      latencies[done++] = t2 - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, lane));
  return {
    committed: ok,
    failed: done - ok,
    elapsedMs: performance.now() - started,
    latencies: latencies.slice(0, done),
    submitLatencies: submitLatencies.slice(0, done),
    commitLatencies: commitLatencies.slice(0, done),
    statuses,
    failures,
    blocks,
  };
}

/** The bare client, checked able to issue (demo registry and seal on the ledger), warmed up. */
async function bareReady(network: FabricNetworkDescription): Promise<BareClient> {
  const client = await bareClient(network);
  try {
    const check = JSON.parse(
      Buffer.from(await client.contract.evaluateTransaction('seal:CheckSeal', demoSealId(ISSUER_MSP), client.identityId, new Date().toISOString())).toString('utf8'),
    ) as { active?: boolean; authorized?: boolean };
    if (!check.active || !check.authorized) {
      throw new Error(`seal ${demoSealId(ISSUER_MSP)} is not active and authorised for ${ISSUER} on this network (${JSON.stringify(check)}); run (b) once to seed the demo registry and seals`);
    }
    await bareRun(client, `${RUN}CW`, WARMUP, Infinity);
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

async function bare(name: string, client: BareClient, tag: string): Promise<Figures> {
  const before = await client.height();
  const fabric = new FabricMeter(FABRIC_DIR);
  const meter = new ServerMeter();
  const run = await bareRun(client, tag, REQUESTS, DURATION_MS);
  const threads = meter.stop(new Set());
  const fabricCpu = fabric.stop();
  const after = await client.height();
  return {
    name,
    ...run,
    threads,
    roles: { main: 'client main thread', other: 'client libuv (signing), V8' },
    fabric: fabricCpu,
    height: { before, after },
    split: { submitP50: latencyOf(run.submitLatencies).p50, commitP50: latencyOf(run.commitLatencies).p50 },
  };
}

// --- signer comparison -----------------------------------------------------------------------

async function signerLine(ms: number): Promise<void> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const message = randomBytes(2048);
  const noble = signers.newPrivateKeySigner(privateKey);
  const node = newNodeSigner(pem);
  const rate = async (sign: (m: Uint8Array) => Promise<Uint8Array>): Promise<number> => {
    for (let i = 0; i < 100; i++) await sign(message);
    let count = 0;
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (performance.now() < end) {
          await sign(message);
          count++;
        }
      }),
    );
    return (count * 1000) / (performance.now() - start);
  };
  const gatewayRate = await rate((m) => noble(hash.sha256(m)));
  const nodeRate = await rate((m) => node(hash.none(m)));
  line('proposal signing, 2 KB, 64 in flight', `${fmt(nodeRate)} /s`, `node:crypto (ours) vs ${fmt(gatewayRate)} /s fabric-gateway noble signer: ×${(nodeRate / gatewayRate).toFixed(1)} (full: node build/bench/fabric-signer.js)`);
}

// --- report ----------------------------------------------------------------------------------

function rateOf(f: Figures): number {
  return (f.committed * 1000) / f.elapsedMs;
}

function describe(f: Figures): void {
  const lat = latencyOf(f.latencies);
  const licensesPerBlock = f.blocks.size === 0 ? NaN : f.committed / f.blocks.size;
  const fullest = Math.max(0, ...f.blocks.values());
  console.log(`\n${f.name}: ${CONCURRENCY} in flight, ${fmt(f.committed + f.failed)} sent in ${(f.elapsedMs / 1000).toFixed(1)} s`);
  line('committed', `${fmt(rateOf(f), 1)} tx/s`, `${fmt(f.committed)} licenses`);
  line('latency p50 / p95 / p99', `${fmt(lat.p50, 1)} / ${fmt(lat.p95, 1)} / ${fmt(lat.p99, 1)} ms`, `max ${fmt(lat.max)} ms`);
  if (f.split) line('  submit (endorse+order) / commit wait, p50', `${fmt(f.split.submitP50, 1)} / ${fmt(f.split.commitP50, 1)} ms`, 'submitAsync, then getStatus');
  line('errors', `${fmt(f.failed)}`, JSON.stringify(f.statuses));
  line('blocks holding our licenses', `${fmt(f.blocks.size)}`, `${fmt(licensesPerBlock, 1)} licenses/block on average, fullest ${fmt(fullest)}${f.height ? `; channel height ${fmt(f.height.before)} → ${fmt(f.height.after)} (+${fmt(f.height.after - f.height.before)}, every user's blocks)` : ''}`);
  const pct = (ms: number, wall: number): string => `${((100 * ms) / wall).toFixed(0)} %`;
  const { mainMs, otherMs } = f.threads.split;
  console.log(`  this process: ${describeThreads(f.threads).replace('server main thread', f.roles.main)}`);
  const per = (ms: number): string => fmt(f.committed > 0 ? ms / f.committed : NaN, 2);
  console.log(`  CPU per license: ${f.roles.main} ${per(mainMs)} ms, ${f.roles.other} ${per(otherMs)} ms, together ${per(mainMs + otherMs)} ms`);
  if (f.fabric && f.fabric.perProcess.length > 0) {
    const total = f.fabric.perProcess.reduce((s, p) => s + p.ms, 0);
    console.log(
      `  Fabric processes CPU (% of one core; ms per license): ${f.fabric.perProcess.map((p) => `${p.name} ${pct(p.ms, f.fabric!.wallMs)} (${per(p.ms)})`).join(', ')}; together ${pct(total, f.fabric.wallMs)} (${per(total)})`,
    );
  }
  if (f.failures.length > 0) console.log(`  failures (first ${f.failures.length}):\n    ${f.failures.join('\n    ')}`);
}

function table(rows: Figures[]): void {
  console.log('\nsummary');
  const head = ['variant', 'tx/s', 'p50 ms', 'p99 ms', 'errors', 'lic/block', 'own CPU ms/lic', 'Fabric CPU ms/lic'];
  const widths = [36, 9, 9, 9, 8, 10, 15, 18];
  const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('');
  console.log(`  ${row(head)}`);
  for (const f of rows) {
    const lat = latencyOf(f.latencies);
    const own = f.threads.split.mainMs + f.threads.split.otherMs;
    const fabricMs = f.fabric ? f.fabric.perProcess.reduce((s, p) => s + p.ms, 0) : NaN;
    const per = (ms: number): string => (Number.isFinite(ms) && f.committed > 0 ? fmt(ms / f.committed, 2) : '–');
    console.log(
      `  ${row([f.name, fmt(rateOf(f), 1), fmt(lat.p50, 1), fmt(lat.p99, 1), fmt(f.failed), f.blocks.size ? fmt(f.committed / f.blocks.size, 1) : '–', per(own), per(fabricMs)])}`,
    );
  }
}

// --- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`fabric issuance bench: Node ${process.version}, ${availableParallelism()} core(s), load average ${loadAverage()}, run tag ${RUN}`);
  console.log(`workload: license:Issue, one license per transaction, ${CONCURRENCY} in flight, ${WARMUP} warm-up then ${DURATION_MS / 1000} s (≤ ${fmt(REQUESTS)}) each${ROUNDS > 1 ? `; (b), (c) ${ROUNDS} rounds, alternating` : ''}`);

  const missing = fabricMissing();
  let network: FabricNetworkDescription | undefined;
  let skip: string | undefined;
  if (missing) skip = `Fabric not found (${missing})`;
  else if (!existsSync(NETWORK_FILE)) skip = `no Fabric network: ${NETWORK_FILE} is missing (node build/bin/licensechain.js network up)`;
  else network = await readFabricNetwork(NETWORK_FILE);
  if (skip && /[bc]/.test(ONLY)) console.log(`(b), (c) skipped: ${skip}; running (a) only`);
  if (network) {
    const batch = (JSON.parse(readFileSync(NETWORK_FILE, 'utf8')) as { ordererBatch?: OrdererBatch }).ordererBatch;
    console.log(
      `Fabric network ${FABRIC_DIR}: channel ${network.channel}, chaincode ${network.chaincode}, ${network.peers.length} peers; orderer batch ` +
        (batch ? `timeout ${batch.timeout}, maxMessageCount ${batch.maxMessageCount}, preferredMaxBytes ${fmt(batch.preferredMaxBytes)}, absoluteMaxBytes ${fmt(batch.absoluteMaxBytes)}` : 'settings not recorded in network.json'),
    );
  }
  if (SIGNER_MS > 0) await signerLine(SIGNER_MS);

  const open = new Set<() => Promise<unknown>>();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...open].map((close) => close())).finally(() => process.exit(130));
    });
  }
  const rows: Figures[] = [];
  const load = await LoadGenerator.start();
  open.add(() => load.close());
  const opened = async <T extends { close(): unknown }>(thing: T): Promise<T> => {
    open.add(async () => thing.close());
    return thing;
  };
  const measured = (figures: Figures): void => {
    rows.push(figures);
    describe(figures);
  };
  try {
    if (ONLY.includes('a')) {
      const bench = await opened(await startBenchSystem());
      try {
        measured(await throughGateway('(a) embedded, our gateway (HTTP)', bench, load, 'A', true));
      } finally {
        await bench.close();
      }
    }
    if (network && /[bc]/.test(ONLY)) {
      // Both started (and warmed up) once; then (b) and (c) alternate, so that a change in the
      // machine's load during the run falls on both.
      const bench = ONLY.includes('b') ? await opened(await startFabricBenchSystem(NETWORK_FILE)) : undefined;
      let client: BareClient | undefined;
      try {
        client = ONLY.includes('c') ? await opened(await bareReady(network)) : undefined;
        for (let round = 1; round <= ROUNDS; round++) {
          const suffix = ROUNDS > 1 ? ` #${round}` : '';
          if (bench) {
            const reader = bench.system.ledger;
            measured(await throughGateway(`(b) Fabric, our gateway (HTTP)${suffix}`, bench, load, `B${round}X`, round === 1, async () => (await reader.info()).height));
          }
          if (client) measured(await bare(`(c) Fabric, bare fabric-gateway${suffix}`, client, `${RUN}C${round}X`));
        }
      } finally {
        client?.close();
        await bench?.close();
      }
    }
  } finally {
    await load.close();
  }

  table(rows);
  const total = (prefix: string): number | undefined => {
    const of = rows.filter((r) => r.name.startsWith(prefix));
    return of.length === 0 ? undefined : (1000 * of.reduce((n, r) => n + r.committed, 0)) / of.reduce((ms, r) => ms + r.elapsedMs, 0);
  };
  const [a, b, c] = [total('(a)'), total('(b)'), total('(c)')];
  if (b !== undefined && c !== undefined) {
    const ratio = b / c;
    console.log('');
    line('(b) / (c)', `${(100 * ratio).toFixed(1)} %`, `${ROUNDS > 1 ? `over ${ROUNDS} rounds (${fmt(b, 1)} vs ${fmt(c, 1)} tx/s); ` : ''}target (b) ≥ 80 % of (c): ${verdict(ratio >= 0.8)}`);
    if (ROUNDS > 1) {
      const per = rows.filter((r) => r.name.startsWith('(b)')).map((r, i) => {
        const cRow = rows.filter((x) => x.name.startsWith('(c)'))[i];
        return cRow ? `${((100 * rateOf(r)) / rateOf(cRow)).toFixed(0)} %` : '–';
      });
      line('(b) / (c) per round', per.join(', '));
    }
  }
  if (a !== undefined && b !== undefined) line('(b) / (a)', `${((100 * b) / a).toFixed(1)} %`, 'Fabric vs embedded, both through our gateway (context, no target)');
  console.log(`\nload average ${loadAverage()}; ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
