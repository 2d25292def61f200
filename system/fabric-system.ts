/**
 * LicenseChain on a Hyperledger Fabric network (`LC_LEDGER=fabric`): the same gateway and verifier
 * as the embedded system (`services.ts`), each principal connected through its organisation's peer
 * with `@hyperledger/fabric-gateway` (`ledger/fabric/`). The network is described by the
 * `network.json` that `licensechain network up` writes (peers, TLS CAs, channel, chaincode, and
 * the consortium folder whose identities are the channel's members).
 *
 * One gRPC connection per peer, shared by the identities that use it; proposals are signed with
 * `node:crypto` (low-S ECDSA) on a worker thread, not with fabric-gateway's pure-JS signer.
 */
import { SigningPool } from '../certs/signing-pool';
import { FabricLedger, fabricLedgerOptions, peerFor, readFabricNetwork, type FabricNetworkDescription } from '../ledger/fabric';
import { MemberTrust } from '../service/member-trust';
import type { SystemConfig } from './config';
import { ensureDemoConsortium } from './demo-consortium';
import { startServices, type LicenseChainSystem, type StartOptions } from './services';

export interface FabricSystem extends LicenseChainSystem {
  readonly network: FabricNetworkDescription;
}

export async function startFabricSystem(config: SystemConfig, options: StartOptions = {}): Promise<FabricSystem> {
  const network = await readFabricNetwork(config.fabricNetworkFile);
  const demo = await ensureDemoConsortium(
    config.dataDir,
    { gateway: `http://${config.gateway.host}:${config.gateway.port}`, verifier: `http://${config.verifier.host}:${config.verifier.port}` },
    { consortiumDir: network.consortiumDir },
  );
  const closers: Array<() => Promise<void>> = [];
  const byPeer = new Map<string, FabricLedger>();
  let ledgerOf: (mspId: string) => FabricLedger;
  let signing: SigningPool;
  let memberTrust: MemberTrust;
  try {
    // The peer each principal's organisation uses, connected (and checked reachable) once.
    for (const entry of demo.principals) {
      const peer = peerFor(network, entry.mspId);
      if (byPeer.has(peer.name)) continue;
      const ledger = new FabricLedger(await fabricLedgerOptions(network, entry.mspId));
      byPeer.set(peer.name, ledger);
      closers.push(() => ledger.close());
      await ledger.ready();
    }
    ledgerOf = (mspId) => byPeer.get(peerFor(network, mspId).name) as FabricLedger;
    memberTrust = await MemberTrust.fromMspFolders(Object.fromEntries(demo.consortium.organisations.map((org) => [org.mspId, org.mspDir])));
    signing = new SigningPool();
    closers.push(() => signing.close());
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
  const verifierOrg = demo.principals.find((p) => p.role === 'verifier')?.mspId ?? (demo.principals[0]?.mspId as string);
  // startServices closes `closers` itself if it fails.
  const system = await startServices({
    config,
    options,
    demo,
    // Ledger-wide reads (height, blocks, transactions) through the verifier organisation's peer.
    ledger: ledgerOf(verifierOrg),
    connect: (entry, credentials) =>
      ledgerOf(entry.mspId).connect({ identity: { mspId: entry.mspId, credentials: Buffer.from(credentials.certificate) }, signer: signing.signer(credentials.privateKey) }),
    memberTrust,
    closers,
  });
  return { ...system, network };
}
