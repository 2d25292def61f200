/**
 * The network's nodes as processes: how the orderer, each peer and the chaincode server are
 * started (program, arguments, environment), and when each counts as ready.
 *
 * - orderer: `orderer` with FABRIC_CFG_PATH = its config folder; ready when its operations
 *   `/healthz` answers OK.
 * - peer: `peer node start` likewise.
 * - chaincode server: `licensechain chaincode serve` (this repository's CLI, on this Node) with
 *   a clean environment of CHAINCODE_ID (the installed package id) and CHAINCODE_SERVER_ADDRESS;
 *   ready when its port accepts connections.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FabricInstallation } from './binaries';
import { baseEnvironment } from './fabric-command';
import { healthy, portOpen, waitFor } from './health';
import { endpoint, type NetworkLayout, type OrdererNode, type PeerNode } from './layout';
import { isOurs, logTail, startProcess, type ProcessRecord, type ProcessSpec } from './processes';

export const CHAINCODE_SERVER = 'chaincode-server';

/** The compiled CLI (this file is build/network/nodes.js). */
export function cliPath(): string {
  return path.resolve(__dirname, '..', 'bin', 'licensechain.js');
}

export function ordererSpec(layout: NetworkLayout, fabric: FabricInstallation): ProcessSpec {
  return {
    name: layout.orderer.name,
    command: fabric.programs.orderer,
    args: [],
    env: baseEnvironment({ FABRIC_CFG_PATH: layout.orderer.configDir }),
    cwd: layout.orderer.configDir,
  };
}

export function peerSpec(peer: PeerNode, fabric: FabricInstallation): ProcessSpec {
  return {
    name: peer.name,
    command: fabric.programs.peer,
    args: ['node', 'start'],
    env: baseEnvironment({ FABRIC_CFG_PATH: peer.configDir }),
    cwd: peer.configDir,
  };
}

export function chaincodeServerSpec(layout: NetworkLayout, packageId: string): ProcessSpec {
  return {
    name: CHAINCODE_SERVER,
    command: process.execPath,
    args: [cliPath(), 'chaincode', 'serve'],
    // fabric-shim reads CORE_* variables: only what the server needs.
    env: {
      PATH: baseEnvironment().PATH as string,
      CHAINCODE_ID: packageId,
      CHAINCODE_SERVER_ADDRESS: endpoint(layout.chaincodeServerPort),
    },
    cwd: layout.dir,
  };
}

/** The TLS CA a node's operations endpoint is certified by. */
export function nodeTlsCa(consortiumDir: string, node: OrdererNode | PeerNode, kind: 'peers' | 'orderers'): string {
  return readFileSync(path.join(consortiumDir, 'organizations', node.mspId, kind, node.name, 'tls', 'ca.crt'), 'utf8');
}

function exitedEarly(record: ProcessRecord, dir: string): void {
  if (!isOurs(record.pid, dir)) throw new Error(`${record.name} exited; the end of ${record.log}:\n${logTail(record.log)}`);
}

/**
 * Waits until a started node's operations endpoint is healthy and its gRPC port accepts
 * connections (the operations server comes up first), or it exited.
 */
export async function waitHealthy(layout: NetworkLayout, record: ProcessRecord, node: OrdererNode | PeerNode, ca: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${record.name} to be healthy (operations ${endpoint(node.operationsPort)}/healthz) and to listen on ${endpoint(node.port)}`,
    async () => {
      exitedEarly(record, layout.dir);
      return (await healthy(node.operationsPort, ca)) && portOpen(node.port);
    },
    { timeoutMs, intervalMs: 100, describe: () => `the end of ${record.log}:\n${logTail(record.log)}` },
  );
}

/** Waits until a started process listens on `port` (or it exited). */
export async function waitListening(layout: NetworkLayout, record: ProcessRecord, port: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${record.name} to listen on ${endpoint(port)}`,
    async () => {
      exitedEarly(record, layout.dir);
      return portOpen(port);
    },
    { timeoutMs, intervalMs: 100, describe: () => `the end of ${record.log}:\n${logTail(record.log)}` },
  );
}

/** Starts the orderer and the peers (in parallel) and waits until each is healthy. */
export async function startNodes(layout: NetworkLayout, fabric: FabricInstallation, only?: ReadonlySet<string>): Promise<void> {
  const waits: Promise<void>[] = [];
  const wanted = (name: string): boolean => only === undefined || only.has(name);
  if (wanted(layout.orderer.name)) {
    const record = await startProcess(layout, ordererSpec(layout, fabric));
    waits.push(waitHealthy(layout, record, layout.orderer, nodeTlsCa(layout.consortiumDir, layout.orderer, 'orderers')));
  }
  for (const peer of layout.peers) {
    if (!wanted(peer.name)) continue;
    const record = await startProcess(layout, peerSpec(peer, fabric));
    waits.push(waitHealthy(layout, record, peer, nodeTlsCa(layout.consortiumDir, peer, 'peers')));
  }
  await Promise.all(waits);
}

/** Starts the chaincode server and waits until it listens. */
export async function startChaincodeServerProcess(layout: NetworkLayout, packageId: string): Promise<void> {
  const record = await startProcess(layout, chaincodeServerSpec(layout, packageId));
  await waitListening(layout, record, layout.chaincodeServerPort);
}
