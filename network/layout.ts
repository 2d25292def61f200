/**
 * The shape of the local Fabric network: who runs which node, on which loopback port, and where
 * every file of it lives under the network folder. Everything else in network/ reads this.
 *
 * ```
 * <dir>/network.json              the contract other code reads (network-file.ts), written last by `up`
 * <dir>/consortium/               the PKI (certs/), unless --consortium names another folder
 * <dir>/config/configtx.yaml      channel profile (configtxgen)
 * <dir>/config/orderer/orderer.yaml, <dir>/config/<peer>/core.yaml   per-node FABRIC_CFG_PATH
 * <dir>/channel/licensechain.block, <dir>/chaincode/licensechain.tar.gz
 * <dir>/nodes/<node>/             each node's ledger (orderer: blocks, Raft WAL and snapshots)
 * <dir>/logs/<process>.log        every process's output
 * <dir>/pids/<process>.json       pid and how it was started, per process
 * ```
 *
 * Ports, from one base port B (default 7050), all on 127.0.0.1:
 * B orderer, B+1 orderer admin (channel participation), B+2 orderer operations,
 * B+3/B+4/B+5 first peer (gRPC, chaincode listener, operations), B+6/B+7/B+8 second peer,
 * B+9 the chaincode server.
 */
import * as path from 'node:path';
import { mspLabel } from '../certs/certificate-authority';

export const CHANNEL = 'licensechain';
export const CHAINCODE = 'licensechain';
export const CHAINCODE_VERSION = '1.0';
export const CHAINCODE_LABEL = 'licensechain_1.0';
export const ORDERER_MSP = 'OrdererMSP';
/** The organisations that run a peer (the rest use one of theirs). */
export const PEER_ORGANISATIONS = ['AuthorityMSP', 'AgencyAMSP'] as const;
/** The admin-OU identity of each node organisation, for channel and lifecycle commands. */
export const NODE_ADMIN = 'fabric-admin';
export const HOST_DOMAIN = 'licensechain';
export const DEFAULT_BASE_PORT = 7050;
export const DEFAULT_NETWORK_DIR = path.join('data', 'fabric');

/**
 * How the orderer cuts blocks. Issuance comes in bursts (a portal submitting a day's licenses,
 * a bulk import) next to single interactive writes. A lone transaction waits at most `timeout` for
 * its block, so it is short (Fabric's 2 s would make every interactive write take 2 s); a burst
 * fills blocks by count or size long before that, so `maxMessageCount` and `preferredMaxBytes`
 * are large enough that a burst becomes a few big blocks, each validated and committed in one go,
 * rather than hundreds of small ones.
 */
export interface OrdererBatch {
  /** Go duration: how long the orderer waits for more transactions before cutting a block. */
  readonly timeout: string;
  readonly maxMessageCount: number;
  /** Bytes; a block is cut once it would exceed this (a single larger transaction gets its own). */
  readonly preferredMaxBytes: number;
  /** Bytes; no transaction larger than this is accepted. */
  readonly absoluteMaxBytes: number;
}

export const DEFAULT_ORDERER_BATCH: OrdererBatch = {
  timeout: '200ms',
  maxMessageCount: 500,
  preferredMaxBytes: 4 * 1024 * 1024,
  absoluteMaxBytes: 10 * 1024 * 1024,
};

export interface NetworkOptions {
  /** The network folder (default data/fabric, or $LC_FABRIC_DIR). */
  readonly dir: string;
  /** The consortium (PKI) folder; default `<dir>/consortium`. */
  readonly consortiumDir?: string;
  readonly basePort?: number;
  readonly batch?: Partial<OrdererBatch>;
}

export interface PeerNode {
  readonly mspId: string;
  /** Host name (CN and SAN of its certificates), also its peer id. */
  readonly name: string;
  readonly port: number;
  readonly chaincodePort: number;
  readonly operationsPort: number;
  /** FABRIC_CFG_PATH of the peer (holds core.yaml). */
  readonly configDir: string;
  readonly dataDir: string;
}

export interface OrdererNode {
  readonly mspId: string;
  readonly name: string;
  readonly port: number;
  readonly adminPort: number;
  readonly operationsPort: number;
  readonly configDir: string;
  readonly dataDir: string;
}

export interface NetworkLayout {
  readonly dir: string;
  readonly consortiumDir: string;
  readonly ownsConsortium: boolean;
  readonly basePort: number;
  readonly batch: OrdererBatch;
  readonly orderer: OrdererNode;
  readonly peers: readonly PeerNode[];
  readonly chaincodeServerPort: number;
  readonly networkFile: string;
  readonly configDir: string;
  readonly channelBlock: string;
  readonly chaincodePackage: string;
  readonly logsDir: string;
  readonly pidsDir: string;
}

/** Every port the network listens on, by what listens. */
export function networkPorts(layout: NetworkLayout): Array<{ what: string; port: number }> {
  return [
    { what: `${layout.orderer.name} (orderer)`, port: layout.orderer.port },
    { what: `${layout.orderer.name} admin`, port: layout.orderer.adminPort },
    { what: `${layout.orderer.name} operations`, port: layout.orderer.operationsPort },
    ...layout.peers.flatMap((p) => [
      { what: `${p.name} (peer of ${p.mspId})`, port: p.port },
      { what: `${p.name} chaincode listener`, port: p.chaincodePort },
      { what: `${p.name} operations`, port: p.operationsPort },
    ]),
    { what: 'chaincode server', port: layout.chaincodeServerPort },
  ];
}

export function peerHost(mspId: string): string {
  return `peer0.${mspLabel(mspId)}.${HOST_DOMAIN}`;
}

export function ordererHost(): string {
  return `orderer0.${mspLabel(ORDERER_MSP)}.${HOST_DOMAIN}`;
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

function checkBatch(batch: OrdererBatch): OrdererBatch {
  if (!DURATION.test(batch.timeout)) throw new Error(`orderer batch timeout ${JSON.stringify(batch.timeout)} is not a Go duration (e.g. 200ms)`);
  for (const key of ['maxMessageCount', 'preferredMaxBytes', 'absoluteMaxBytes'] as const) {
    if (!Number.isSafeInteger(batch[key]) || batch[key] < 1) throw new Error(`orderer batch ${key} must be a positive integer`);
  }
  if (batch.preferredMaxBytes > batch.absoluteMaxBytes) throw new Error('orderer batch preferredMaxBytes must not exceed absoluteMaxBytes');
  return batch;
}

/** The layout of a network with `options`. */
export function networkLayout(options: NetworkOptions): NetworkLayout {
  const dir = path.resolve(options.dir);
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + 9 > 65535) throw new Error(`base port ${basePort} must leave B..B+9 within 1024..65535`);
  const ordererName = ordererHost();
  return {
    dir,
    consortiumDir: path.resolve(options.consortiumDir ?? path.join(dir, 'consortium')),
    ownsConsortium: options.consortiumDir === undefined,
    basePort,
    batch: checkBatch({ ...DEFAULT_ORDERER_BATCH, ...options.batch }),
    orderer: {
      mspId: ORDERER_MSP,
      name: ordererName,
      port: basePort,
      adminPort: basePort + 1,
      operationsPort: basePort + 2,
      configDir: path.join(dir, 'config', ordererName),
      dataDir: path.join(dir, 'nodes', ordererName),
    },
    peers: PEER_ORGANISATIONS.map((mspId, i) => {
      const name = peerHost(mspId);
      return {
        mspId,
        name,
        port: basePort + 3 + 3 * i,
        chaincodePort: basePort + 4 + 3 * i,
        operationsPort: basePort + 5 + 3 * i,
        configDir: path.join(dir, 'config', name),
        dataDir: path.join(dir, 'nodes', name),
      };
    }),
    chaincodeServerPort: basePort + 9,
    networkFile: path.join(dir, 'network.json'),
    configDir: path.join(dir, 'config'),
    channelBlock: path.join(dir, 'channel', `${CHANNEL}.block`),
    chaincodePackage: path.join(dir, 'chaincode', `${CHAINCODE}.tar.gz`),
    logsDir: path.join(dir, 'logs'),
    pidsDir: path.join(dir, 'pids'),
  };
}

export function endpoint(port: number): string {
  return `127.0.0.1:${port}`;
}
