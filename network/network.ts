/**
 * `licensechain network up | down | status`: a local Hyperledger Fabric 2.5 network run natively
 * (no Docker) from Fabric's own binaries, for the LicenseChain chaincode.
 *
 * up:   PKI (crypto.ts) → config files (config-files.ts) → genesis block → orderer and peers
 *       (nodes.ts) → channel (channel.ts) → chaincode server and lifecycle
 *       (chaincode-lifecycle.ts) → gossip between the organisations → network.json.
 *       Idempotent: a network that is up is left alone; one whose processes died is repaired
 *       (they restart on their data, and the remaining steps complete); one that never got as
 *       far as network.json is torn down and brought up again.
 * down: stops every process of the network and removes its folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { findMember, loadConsortium, type Consortium } from '../certs/consortium';
import { findFabric, type FabricInstallation } from './binaries';
import { deployChaincode, waitChaincodeReady, writeChaincodePackage } from './chaincode-lifecycle';
import { createGenesisBlock, joinOrderer, joinPeers } from './channel';
import { writeNetworkConfig } from './config-files';
import { ensureNetworkConsortium } from './crypto';
import { healthy, metric, portFree, portOpen, waitFor } from './health';
import { CHANNEL, DEFAULT_NETWORK_DIR, endpoint, networkLayout, NODE_ADMIN, networkPorts, type NetworkLayout, type NetworkOptions } from './layout';
import { networkFileOf, readNetworkFile, writeNetworkFile, type NetworkFile } from './network-file';
import { CHAINCODE_SERVER, nodeTlsCa, startChaincodeServerProcess, startNodes } from './nodes';
import { isOurs, markedProcesses, readRecords, stopProcesses } from './processes';

/** Written first by `up`: the options the folder's network was made with, and the mark of a network folder. */
const LAYOUT_FILE = 'layout.json';

export type Report = (line: string) => void;

/** The network folder: `--dir`, else $LC_FABRIC_DIR, else data/fabric. */
export function defaultNetworkDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LC_FABRIC_DIR ?? DEFAULT_NETWORK_DIR);
}

interface StoredOptions {
  readonly basePort: number;
  readonly consortiumDir: string | null;
  readonly batch: NetworkLayout['batch'];
}

async function readStoredOptions(dir: string): Promise<StoredOptions | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, LAYOUT_FILE), 'utf8')) as StoredOptions;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The layout of the network in `options.dir`: the options it was brought up with, unless this
 * call gives others (then, if it exists, it must agree).
 */
export async function resolveLayout(options: NetworkOptions): Promise<NetworkLayout> {
  const stored = await readStoredOptions(path.resolve(options.dir));
  const requested = networkLayout(options);
  if (stored === undefined) return requested;
  const effective = networkLayout({
    dir: options.dir,
    basePort: options.basePort ?? stored.basePort,
    ...((options.consortiumDir ?? stored.consortiumDir) ? { consortiumDir: (options.consortiumDir ?? stored.consortiumDir) as string } : {}),
    batch: { ...stored.batch, ...options.batch },
  });
  const differs =
    effective.basePort !== stored.basePort ||
    (stored.consortiumDir ?? null) !== (effective.ownsConsortium ? null : effective.consortiumDir) ||
    JSON.stringify(effective.batch) !== JSON.stringify(stored.batch);
  if (differs) {
    throw new Error(`the network in ${effective.dir} was made with other settings (${JSON.stringify(stored)}); run \`licensechain network down\` first to change them`);
  }
  return effective;
}

async function storeOptions(layout: NetworkLayout): Promise<void> {
  await mkdir(layout.dir, { recursive: true });
  const stored: StoredOptions = { basePort: layout.basePort, consortiumDir: layout.ownsConsortium ? null : layout.consortiumDir, batch: layout.batch };
  await writeFile(path.join(layout.dir, LAYOUT_FILE), `${JSON.stringify(stored, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// status

export interface ProcessStatus {
  readonly name: string;
  readonly pid: number | null;
  readonly running: boolean;
  /** Operations /healthz (nodes) or the port accepting connections (chaincode server). */
  readonly healthy: boolean;
  readonly log: string;
}

export interface NetworkStatus {
  /** up: network.json written and every process healthy; degraded: network.json but not all
   *  healthy; partial: no network.json but a folder or processes; down: nothing. */
  readonly state: 'up' | 'degraded' | 'partial' | 'down';
  readonly dir: string;
  readonly processes: readonly ProcessStatus[];
  readonly ports: ReadonlyArray<{ what: string; endpoint: string }>;
  readonly logsDir: string;
  readonly network: NetworkFile | undefined;
}

function expectedProcesses(layout: NetworkLayout): Array<{ name: string; probe: () => Promise<boolean> }> {
  const ca = (kind: 'peers' | 'orderers', node: Parameters<typeof nodeTlsCa>[1]): string | undefined => {
    try {
      return nodeTlsCa(layout.consortiumDir, node, kind);
    } catch {
      return undefined;
    }
  };
  const ordererCa = ca('orderers', layout.orderer);
  return [
    { name: layout.orderer.name, probe: async () => ordererCa !== undefined && (await healthy(layout.orderer.operationsPort, ordererCa)) && portOpen(layout.orderer.port) },
    ...layout.peers.map((peer) => {
      const peerCa = ca('peers', peer);
      return { name: peer.name, probe: async () => peerCa !== undefined && (await healthy(peer.operationsPort, peerCa)) && portOpen(peer.port) };
    }),
    { name: CHAINCODE_SERVER, probe: () => portOpen(layout.chaincodeServerPort) },
  ];
}

/** The network's state, from its folder, its processes and their health endpoints. */
export async function networkStatus(options: NetworkOptions): Promise<NetworkStatus> {
  const layout = await resolveLayout(options);
  const records = new Map((await readRecords(layout)).map((r) => [r.name, r]));
  const processes: ProcessStatus[] = [];
  for (const { name, probe } of expectedProcesses(layout)) {
    const record = records.get(name);
    const running = record !== undefined && isOurs(record.pid, layout.dir);
    processes.push({ name, pid: record?.pid ?? null, running, healthy: running && (await probe()), log: path.join(layout.logsDir, `${name}.log`) });
  }
  const network = await readNetworkFile(layout.networkFile);
  const anything = existsSync(layout.dir) || markedProcesses(layout.dir).length > 0;
  const state = network !== undefined ? (processes.every((p) => p.healthy) ? 'up' : 'degraded') : anything ? 'partial' : 'down';
  return {
    state,
    dir: layout.dir,
    processes,
    ports: networkPorts(layout).map((p) => ({ what: p.what, endpoint: endpoint(p.port) })),
    logsDir: layout.logsDir,
    network,
  };
}

// ---------------------------------------------------------------------------------------------
// down

/** Stops every process of the network and removes its folder. Returns whether there was one. */
export async function networkDown(options: NetworkOptions, report: Report = () => {}): Promise<boolean> {
  const dir = path.resolve(options.dir);
  const hasFolder = existsSync(dir);
  if (hasFolder && !existsSync(path.join(dir, LAYOUT_FILE)) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} is not a network folder (no ${LAYOUT_FILE}); not removing it`);
  }
  const stopped = await stopProcesses({ dir, logsDir: path.join(dir, 'logs'), pidsDir: path.join(dir, 'pids') });
  if (stopped.length > 0) report(`stopped ${stopped.length} process${stopped.length === 1 ? '' : 'es'} (${stopped.join(', ')})`);
  if (hasFolder) {
    await rm(dir, { recursive: true, force: true });
    report(`removed ${dir}`);
  }
  return hasFolder || stopped.length > 0;
}

// ---------------------------------------------------------------------------------------------
// up

export interface UpResult {
  readonly alreadyUp: boolean;
  readonly repaired: boolean;
  readonly network: NetworkFile;
  readonly seconds: number;
}

async function assertPortsFree(layout: NetworkLayout): Promise<void> {
  const taken: string[] = [];
  for (const { what, port } of networkPorts(layout)) if (!(await portFree(port))) taken.push(`${endpoint(port)} (${what})`);
  if (taken.length > 0) {
    throw new Error(`ports in use: ${taken.join(', ')}; stop what uses them, or choose other ports with --base-port (or LC_FABRIC_BASE_PORT)`);
  }
}

/** Every peer knows the other organisations' peers through gossip (what discovery answers from). */
async function waitGossip(layout: NetworkLayout, consortium: Consortium): Promise<void> {
  const others = layout.peers.length - 1;
  await Promise.all(
    layout.peers.map(async (peer) => {
      const ca = nodeTlsCa(layout.consortiumDir, peer, 'peers');
      const admin = findMember(consortium, peer.mspId, NODE_ADMIN);
      const client = { cert: await readFile(admin.tlsCertificatePath, 'utf8'), key: await readFile(admin.tlsPrivateKeyPath, 'utf8') };
      return waitFor(
        `${peer.name} to see the other organisations' peers through gossip`,
        async () => ((await metric(peer.operationsPort, ca, client, 'gossip_membership_total_peers_known', { channel: CHANNEL })) ?? 0) >= others,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    }),
  );
}

async function completeNetwork(layout: NetworkLayout, fabric: FabricInstallation, consortium: Consortium, step: (what: string) => void, knownPackageId?: string): Promise<NetworkFile> {
  const packageId = await writeChaincodePackage(layout);
  if (knownPackageId !== undefined && knownPackageId !== packageId) {
    throw new Error(`the chaincode package id changed (${knownPackageId} → ${packageId}); run \`licensechain network down\` and up again`);
  }
  // The chaincode server (a second or two to load) starts while the channel is made.
  const server = (await readRecords(layout)).find((r) => r.name === CHAINCODE_SERVER);
  const serverReady =
    server !== undefined && isOurs(server.pid, layout.dir)
      ? Promise.resolve()
      : startChaincodeServerProcess(layout, packageId).then(() => step(`chaincode server listening on ${endpoint(layout.chaincodeServerPort)}`));
  serverReady.catch(() => undefined); // awaited below
  await createGenesisBlock(layout, fabric);
  await joinOrderer(layout, fabric, consortium);
  step(`orderer joined channel ${CHANNEL}`);
  await joinPeers(layout, fabric, consortium);
  step('peers joined');
  await serverReady;
  // Gossip between the organisations connects in a few seconds after the joins; the lifecycle
  // takes about as long, so the two proceed together.
  const gossip = waitGossip(layout, consortium).then(() => step('peers see each other through gossip'));
  gossip.catch(() => undefined); // awaited below; not unhandled while the lifecycle runs
  await deployChaincode(layout, fabric, consortium, packageId);
  step(`chaincode ${packageId} installed, approved, committed`);
  await waitChaincodeReady(layout, fabric, consortium);
  step('chaincode answers on every peer');
  await gossip;
  const network = networkFileOf(layout, consortium, packageId);
  await writeNetworkFile(layout.networkFile, network);
  return network;
}

/** Brings the network up (see the file comment). */
export async function networkUp(options: NetworkOptions, report: Report = () => {}): Promise<UpResult> {
  const started = Date.now();
  const fabric = findFabric();
  const layout = await resolveLayout(options);
  // Some steps overlap: each line says when it finished, counted from the start.
  const step = (what: string): void => report(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${what}`);
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;

  const existing = await readNetworkFile(layout.networkFile);
  if (existing !== undefined) {
    const status = await networkStatus(options);
    if (status.state === 'up') return { alreadyUp: true, repaired: false, network: existing, seconds: seconds() };
    // Degraded: restart what died, on its data, and complete whatever is missing.
    const dead = status.processes.filter((p) => !p.healthy);
    report(`repairing: ${dead.map((p) => p.name).join(', ')} not healthy`);
    const deadNodes = new Set(dead.filter((p) => p.name !== CHAINCODE_SERVER).map((p) => p.name));
    await stopProcesses(layout, { names: dead.map((p) => p.name) });
    const consortium = await loadConsortium(layout.consortiumDir);
    if (deadNodes.size > 0) {
      await startNodes(layout, fabric, deadNodes);
      step(`restarted ${[...deadNodes].join(', ')}`);
    }
    const network = await completeNetwork(layout, fabric, consortium, step, existing.chaincodeServer.packageId);
    return { alreadyUp: false, repaired: true, network, seconds: seconds() };
  }

  // Half-up (interrupted before network.json) or leftovers: start again from nothing.
  if (existsSync(layout.dir) || markedProcesses(layout.dir).length > 0) {
    report(`${layout.dir} holds an incomplete network: tearing it down first`);
    await networkDown({ dir: layout.dir }, report); // `layout` keeps the settings it was made with
  }
  await assertPortsFree(layout);
  await storeOptions(layout);
  const consortium = await ensureNetworkConsortium(layout.consortiumDir);
  step(`consortium ready in ${consortium.dir}`);
  await writeNetworkConfig(layout, consortium, fabric.configDir);
  await createGenesisBlock(layout, fabric);
  step('configtx.yaml, orderer.yaml, core.yaml and the genesis block written');
  await startNodes(layout, fabric);
  step(`orderer and ${layout.peers.length} peers healthy`);
  const network = await completeNetwork(layout, fabric, consortium, step);
  return { alreadyUp: false, repaired: false, network, seconds: seconds() };
}
