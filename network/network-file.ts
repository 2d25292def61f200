/**
 * `<network dir>/network.json`: what other code (the Fabric ledger client, tests) reads to reach
 * a network that `licensechain network up` brought up. Written last, atomically, once the
 * chaincode answers on every peer: its presence means the network was complete.
 *
 * Client identities come from `consortiumDir` with certs/consortium.ts: `loadConsortium(dir)`
 * then `memberCredentials(consortium, mspId, name)`; a client of organisation M connects to the
 * peer `peerForOrg[M]` (`peers[].name` is the host name its TLS certificate names, to use as the
 * TLS server name override when dialling `endpoint`).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../certs/msp-layout';
import type { Consortium } from '../certs/consortium';
import { findOrganisation } from '../certs/consortium';
import type { FabricNetworkDescription, FabricPeerDescription } from '../ledger/fabric/network-config';
import { applicationMspIds } from './crypto';
import { CHAINCODE, CHANNEL, endpoint, type NetworkLayout, type OrdererBatch } from './layout';

export interface NetworkFileOrderer extends FabricPeerDescription {
  readonly adminEndpoint: string;
}

/**
 * What `up` writes: the description the Fabric ledger client reads (ledger/fabric/network-config.ts,
 * one shape for both sides), with everything a complete network has.
 */
export interface NetworkFile extends FabricNetworkDescription {
  readonly orderers: readonly NetworkFileOrderer[];
  /** Every application MSP ID → the name of the peer its clients use. */
  readonly peerForOrg: Readonly<Record<string, string>>;
  readonly chaincodeServer: { readonly address: string; readonly packageId: string };
  readonly ordererBatch: OrdererBatch;
}

/** The network file's contents for a network that is up. */
export function networkFileOf(layout: NetworkLayout, consortium: Consortium, packageId: string): NetworkFile {
  const peers = layout.peers.map((p) => ({
    mspId: p.mspId,
    name: p.name,
    endpoint: endpoint(p.port),
    tlsCaCertificatePath: findOrganisation(consortium, p.mspId).tlsCaCertificatePath,
  }));
  const [fallback] = peers;
  if (fallback === undefined) throw new Error('the network has no peer');
  return {
    channel: CHANNEL,
    chaincode: CHAINCODE,
    consortiumDir: consortium.dir,
    peers,
    orderers: [
      {
        mspId: layout.orderer.mspId,
        name: layout.orderer.name,
        endpoint: endpoint(layout.orderer.port),
        adminEndpoint: endpoint(layout.orderer.adminPort),
        tlsCaCertificatePath: findOrganisation(consortium, layout.orderer.mspId).tlsCaCertificatePath,
      },
    ],
    // An organisation with a peer uses its own; the others use the first peer organisation's.
    peerForOrg: Object.fromEntries(applicationMspIds().map((mspId) => [mspId, (peers.find((p) => p.mspId === mspId) ?? fallback).name])),
    chaincodeServer: { address: endpoint(layout.chaincodeServerPort), packageId },
    ordererBatch: layout.batch,
  };
}

export async function writeNetworkFile(file: string, contents: NetworkFile): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(contents, null, 2)}\n`);
}

/** The network file, or undefined if there is none. */
export async function readNetworkFile(file: string): Promise<NetworkFile | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as NetworkFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
