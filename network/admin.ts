/**
 * The identities Fabric's command-line tools act with: each peer organisation's admin-OU
 * identity (`fabric-admin`, a local MSP admin of its peer) for `peer channel` and `peer lifecycle`
 * commands, and OrdererMSP's for `osnadmin` (mutual TLS with its TLS client certificate).
 */
import * as path from 'node:path';
import type { Consortium } from '../certs/consortium';
import { findMember } from '../certs/consortium';
import { baseEnvironment } from './fabric-command';
import { endpoint, NODE_ADMIN, type NetworkLayout, type PeerNode } from './layout';

/** The environment of a `peer` CLI command run by `peer`'s organisation admin against `peer`. */
export function peerAdminEnv(consortium: Consortium, peer: PeerNode): Record<string, string> {
  const admin = findMember(consortium, peer.mspId, NODE_ADMIN);
  const node = findMember(consortium, peer.mspId, peer.name);
  return baseEnvironment({
    FABRIC_CFG_PATH: peer.configDir,
    CORE_PEER_LOCALMSPID: peer.mspId,
    CORE_PEER_MSPCONFIGPATH: admin.mspDir,
    CORE_PEER_ADDRESS: endpoint(peer.port),
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_ROOTCERT_FILE: path.join(node.tlsDir, 'ca.crt'),
  });
}

/** The TLS CA certificate file of a peer or orderer. */
export function nodeTlsCaFile(consortium: Consortium, mspId: string, name: string): string {
  return path.join(findMember(consortium, mspId, name).tlsDir, 'ca.crt');
}

/** `peer` CLI flags reaching the orderer over TLS. */
export function ordererFlags(consortium: Consortium, layout: NetworkLayout): string[] {
  return ['-o', endpoint(layout.orderer.port), '--tls', '--cafile', nodeTlsCaFile(consortium, layout.orderer.mspId, layout.orderer.name)];
}

/** `osnadmin` flags: the orderer's admin endpoint, its TLS CA, OrdererMSP's admin TLS client pair. */
export function osnadminFlags(consortium: Consortium, layout: NetworkLayout): string[] {
  const admin = findMember(consortium, layout.orderer.mspId, NODE_ADMIN);
  return [
    '-o', endpoint(layout.orderer.adminPort),
    '--ca-file', nodeTlsCaFile(consortium, layout.orderer.mspId, layout.orderer.name),
    '--client-cert', admin.tlsCertificatePath,
    '--client-key', admin.tlsPrivateKeyPath,
  ];
}
