/**
 * The `licensechain` chaincode on the channel, through Fabric's lifecycle: the ccaas package
 * (chaincode/ccaas-package.ts, pointing at the chaincode server's port) is installed on every
 * peer, approved by every peer organisation, committed once (endorsed by both peers, as
 * LifecycleEndorsement requires), and then each peer is asked for the contract metadata, which
 * makes it build the package with the ccaas external builder and dial the chaincode server.
 * Every step first asks whether it is done already.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { buildCcaasPackage } from '../chaincode/ccaas-package';
import type { Consortium } from '../certs/consortium';
import { nodeTlsCaFile, ordererFlags, peerAdminEnv } from './admin';
import type { FabricInstallation } from './binaries';
import { runFabric } from './fabric-command';
import { waitFor } from './health';
import { CHAINCODE, CHAINCODE_LABEL, CHAINCODE_VERSION, CHANNEL, endpoint, type NetworkLayout, type PeerNode } from './layout';

const SEQUENCE = '1';

/** Writes the ccaas package for the layout's chaincode server; returns its package id. */
export async function writeChaincodePackage(layout: NetworkLayout): Promise<string> {
  const pkg = await buildCcaasPackage({ label: CHAINCODE_LABEL, address: endpoint(layout.chaincodeServerPort) });
  await mkdir(path.dirname(layout.chaincodePackage), { recursive: true });
  await writeFile(layout.chaincodePackage, pkg.bytes);
  return pkg.packageId;
}

function jsonOf<T>(stdout: string): T {
  return JSON.parse(stdout.slice(stdout.search(/[{[]/))) as T;
}

/** The package ids installed on a peer. */
export async function installedPackages(peer: PeerNode, fabric: FabricInstallation, consortium: Consortium): Promise<string[]> {
  const { stdout } = await runFabric(fabric.programs.peer, ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'], {
    env: peerAdminEnv(consortium, peer),
    timeoutMs: 15_000,
  });
  if (stdout.trim() === '') return [];
  return (jsonOf<{ installed_chaincodes?: Array<{ package_id: string }> }>(stdout).installed_chaincodes ?? []).map((c) => c.package_id);
}

/** The committed definition's sequence on a peer, or undefined if none is committed. */
export async function committedSequence(peer: PeerNode, fabric: FabricInstallation, consortium: Consortium): Promise<number | undefined> {
  try {
    const { stdout } = await runFabric(
      fabric.programs.peer,
      ['lifecycle', 'chaincode', 'querycommitted', '--channelID', CHANNEL, '--name', CHAINCODE, '--output', 'json'],
      { env: peerAdminEnv(consortium, peer), timeoutMs: 15_000 },
    );
    return jsonOf<{ sequence: number }>(stdout).sequence;
  } catch (error) {
    if (/namespace licensechain is not defined|not found/i.test((error as Error).message)) return undefined;
    throw error;
  }
}

function definitionFlags(): string[] {
  return ['--channelID', CHANNEL, '--name', CHAINCODE, '--version', CHAINCODE_VERSION, '--sequence', SEQUENCE];
}

/** Which organisations approved the definition, as a peer sees it. */
export async function approvals(peer: PeerNode, fabric: FabricInstallation, consortium: Consortium): Promise<Record<string, boolean>> {
  const { stdout } = await runFabric(fabric.programs.peer, ['lifecycle', 'chaincode', 'checkcommitreadiness', ...definitionFlags(), '--output', 'json'], {
    env: peerAdminEnv(consortium, peer),
    timeoutMs: 15_000,
  });
  return jsonOf<{ approvals: Record<string, boolean> }>(stdout).approvals;
}

/** Installs, approves and commits the chaincode (what is not done yet). */
export async function deployChaincode(layout: NetworkLayout, fabric: FabricInstallation, consortium: Consortium, packageId: string): Promise<void> {
  const [first] = layout.peers;
  if (first === undefined) throw new Error('the network has no peer');
  const peerOrgs = layout.peers.map((p) => p.mspId);

  await Promise.all(
    layout.peers.map(async (peer) => {
      if ((await installedPackages(peer, fabric, consortium)).includes(packageId)) return;
      await runFabric(fabric.programs.peer, ['lifecycle', 'chaincode', 'install', layout.chaincodePackage], {
        env: peerAdminEnv(consortium, peer),
        timeoutMs: 120_000,
      });
    }),
  );

  if ((await committedSequence(first, fabric, consortium)) === undefined) {
    const approved = await approvals(first, fabric, consortium);
    await Promise.all(
      layout.peers
        .filter((peer) => approved[peer.mspId] !== true)
        .map((peer) =>
          runFabric(
            fabric.programs.peer,
            ['lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(consortium, layout), ...definitionFlags(), '--package-id', packageId],
            { env: peerAdminEnv(consortium, peer), timeoutMs: 60_000 },
          ),
        ),
    );
    // Both peers must see every approval before they can endorse the same commit.
    for (const peer of layout.peers) {
      await waitFor(
        `${peer.name} to see the approvals of ${peerOrgs.join(' and ')}`,
        async () => {
          const seen = await approvals(peer, fabric, consortium);
          return peerOrgs.every((m) => seen[m] === true);
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    }
    const peerFlags = layout.peers.flatMap((peer) => ['--peerAddresses', endpoint(peer.port), '--tlsRootCertFiles', nodeTlsCaFile(consortium, peer.mspId, peer.name)]);
    await runFabric(fabric.programs.peer, ['lifecycle', 'chaincode', 'commit', ...ordererFlags(consortium, layout), ...definitionFlags(), ...peerFlags], {
      env: peerAdminEnv(consortium, first),
      timeoutMs: 60_000,
    });
  }
  for (const peer of layout.peers) {
    await waitFor(`${peer.name} to see chaincode ${CHAINCODE} committed`, async () => (await committedSequence(peer, fabric, consortium)) !== undefined, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }
}

/**
 * Asks a peer to run the chaincode's metadata query (fabric-contract-api's system contract; any
 * channel reader may): proves the peer launched the package and reaches the chaincode server.
 */
export async function queryMetadata(peer: PeerNode, fabric: FabricInstallation, consortium: Consortium, timeoutMs = 30_000): Promise<{ contracts: Record<string, unknown> }> {
  const { stdout } = await runFabric(
    fabric.programs.peer,
    ['chaincode', 'query', '-C', CHANNEL, '-n', CHAINCODE, '-c', JSON.stringify({ Args: ['org.hyperledger.fabric:GetMetadata'] })],
    { env: peerAdminEnv(consortium, peer), timeoutMs },
  );
  return jsonOf<{ contracts: Record<string, unknown> }>(stdout);
}

/** Waits until every peer answers the metadata query. */
export async function waitChaincodeReady(layout: NetworkLayout, fabric: FabricInstallation, consortium: Consortium): Promise<void> {
  await Promise.all(
    layout.peers.map((peer) =>
      waitFor(`${peer.name} to reach the chaincode server`, async () => Object.keys((await queryMetadata(peer, fabric, consortium)).contracts).length > 0, {
        timeoutMs: 60_000,
        intervalMs: 500,
      }),
    ),
  );
}
