/**
 * The description of a running Fabric network that `licensechain network up` writes to
 * `data/fabric/network.json`, and how to turn it into FabricLedger options for one organisation:
 *
 * ```json
 * { "channel": "…", "chaincode": "…", "consortiumDir": "…",
 *   "peers": [{ "mspId": "…", "name": "…", "endpoint": "host:port", "tlsCaCertificatePath": "…" }],
 *   "orderers": […], "peerForOrg": { "<mspId>": "<peer name>" }, "chaincodeServer": {…} }
 * ```
 *
 * Relative paths are resolved against the file's folder. Clients dial `endpoint` and expect the
 * TLS server name `name`.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FabricLedgerOptions } from './fabric-ledger';

export interface FabricPeerDescription {
  readonly mspId: string;
  readonly name: string;
  readonly endpoint: string;
  readonly tlsCaCertificatePath: string;
  /** TLS server name, when it is not `name` (the host name the peer's TLS certificate names). */
  readonly hostnameOverride?: string;
}

export interface FabricNetworkDescription {
  readonly channel: string;
  readonly chaincode: string;
  readonly consortiumDir: string;
  readonly peers: readonly FabricPeerDescription[];
  readonly orderers?: readonly unknown[];
  readonly peerForOrg?: Readonly<Record<string, string>>;
  readonly chaincodeServer?: unknown;
}

/** Reads and checks `network.json`; paths in it come back absolute. */
export async function readFabricNetwork(file: string): Promise<FabricNetworkDescription> {
  const dir = path.dirname(path.resolve(file));
  const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<FabricNetworkDescription>;
  const text = (value: unknown, what: string): string => {
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: ${what} is missing`);
    return value;
  };
  if (!Array.isArray(raw.peers) || raw.peers.length === 0) throw new Error(`${file}: peers is missing`);
  return {
    ...raw,
    channel: text(raw.channel, 'channel'),
    chaincode: text(raw.chaincode, 'chaincode'),
    consortiumDir: path.resolve(dir, text(raw.consortiumDir, 'consortiumDir')),
    peers: raw.peers.map((peer, index) => ({
      ...peer,
      mspId: text(peer.mspId, `peers[${index}].mspId`),
      name: text(peer.name, `peers[${index}].name`),
      endpoint: text(peer.endpoint, `peers[${index}].endpoint`),
      tlsCaCertificatePath: path.resolve(dir, text(peer.tlsCaCertificatePath, `peers[${index}].tlsCaCertificatePath`)),
    })),
  };
}

/**
 * The peer an organisation's clients use: `peerForOrg[mspId]` (an organisation without a peer of
 * its own is given another organisation's), else its own first peer.
 */
export function peerFor(network: FabricNetworkDescription, mspId: string): FabricPeerDescription {
  const name = network.peerForOrg?.[mspId];
  const peer = network.peers.find((p) => (name === undefined ? p.mspId === mspId : p.name === name));
  if (!peer) throw new Error(`the Fabric network has no peer for ${mspId}`);
  return peer;
}

/** FabricLedger options to reach `mspId`'s peer (TLS CA read from disk), plus `extra`. */
export async function fabricLedgerOptions(
  network: FabricNetworkDescription,
  mspId: string,
  extra: Partial<FabricLedgerOptions> = {},
): Promise<FabricLedgerOptions> {
  const peer = peerFor(network, mspId);
  return {
    peerEndpoint: peer.endpoint,
    tlsCaCertificate: await readFile(peer.tlsCaCertificatePath, 'utf8'),
    // `name` is the host the peer's TLS certificate names; the endpoint may be a loopback address.
    hostnameOverride: peer.hostnameOverride ?? peer.name,
    channel: network.channel,
    chaincode: network.chaincode,
    ...extra,
  };
}
