/**
 * The `licensechain` channel, created through the channel participation API (no system
 * channel): configtxgen writes the genesis block from the generated configtx.yaml, `osnadmin
 * channel join` hands it to the orderer, then each peer's admin joins its peer with `peer channel
 * join`. Every step first asks whether it is done already, so a repeated `up` only completes.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Consortium } from '../certs/consortium';
import { osnadminFlags, peerAdminEnv } from './admin';
import type { FabricInstallation } from './binaries';
import { PROFILE } from './config-files';
import { baseEnvironment, FabricCommandError, runFabric } from './fabric-command';
import { waitFor } from './health';
import { CHANNEL, type NetworkLayout, type PeerNode } from './layout';

/** The genesis block of the channel (written once; reused afterwards). */
export async function createGenesisBlock(layout: NetworkLayout, fabric: FabricInstallation): Promise<string> {
  if (existsSync(layout.channelBlock)) return layout.channelBlock;
  await mkdir(path.dirname(layout.channelBlock), { recursive: true });
  await runFabric(
    fabric.programs.configtxgen,
    ['-configPath', layout.configDir, '-profile', PROFILE, '-channelID', CHANNEL, '-outputBlock', layout.channelBlock],
    { env: baseEnvironment({ FABRIC_CFG_PATH: layout.configDir }) },
  );
  return layout.channelBlock;
}

export interface OrdererChannelInfo {
  readonly name: string;
  readonly status: string;
  readonly consensusRelation: string;
  readonly height: number;
}

/** The orderer's view of the channel, or undefined if it has not joined it. */
export async function ordererChannel(layout: NetworkLayout, fabric: FabricInstallation, consortium: Consortium): Promise<OrdererChannelInfo | undefined> {
  try {
    const { stdout } = await runFabric(fabric.programs.osnadmin, ['channel', 'list', '--channelID', CHANNEL, ...osnadminFlags(consortium, layout)], {
      env: baseEnvironment(),
      timeoutMs: 15_000,
    });
    // osnadmin prints "Status: 200" then the JSON body.
    const json = stdout.slice(stdout.indexOf('{'));
    const info = JSON.parse(json) as Partial<OrdererChannelInfo>;
    return info.name === CHANNEL ? (info as OrdererChannelInfo) : undefined;
  } catch (error) {
    if (error instanceof FabricCommandError && /Status: 404/.test(`${error.stdout}${error.stderr}`)) return undefined;
    throw error;
  }
}

/** Joins the orderer to the channel and waits until the channel is active there. */
export async function joinOrderer(layout: NetworkLayout, fabric: FabricInstallation, consortium: Consortium): Promise<void> {
  if ((await ordererChannel(layout, fabric, consortium)) === undefined) {
    const { stdout } = await runFabric(
      fabric.programs.osnadmin,
      ['channel', 'join', '--channelID', CHANNEL, '--config-block', layout.channelBlock, ...osnadminFlags(consortium, layout)],
      { env: baseEnvironment(), timeoutMs: 30_000 },
    );
    if (!/Status: 201/.test(stdout)) throw new Error(`osnadmin channel join did not answer 201 Created:\n${stdout}`);
  }
  await waitFor(
    `the orderer to activate channel ${CHANNEL}`,
    async () => {
      const info = await ordererChannel(layout, fabric, consortium);
      return info?.status === 'active' && info.consensusRelation === 'consenter' ? info : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** The channels a peer has joined. */
export async function peerChannels(peer: PeerNode, fabric: FabricInstallation, consortium: Consortium): Promise<string[]> {
  const { stdout } = await runFabric(fabric.programs.peer, ['channel', 'list'], { env: peerAdminEnv(consortium, peer), timeoutMs: 15_000 });
  const marker = stdout.indexOf('Channels peers has joined:');
  return marker < 0 ? [] : stdout.slice(marker).split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '');
}

/** Joins each peer to the channel (those not joined yet). */
export async function joinPeers(layout: NetworkLayout, fabric: FabricInstallation, consortium: Consortium): Promise<void> {
  await Promise.all(
    layout.peers.map(async (peer) => {
      if ((await peerChannels(peer, fabric, consortium)).includes(CHANNEL)) return;
      await runFabric(fabric.programs.peer, ['channel', 'join', '-b', layout.channelBlock], { env: peerAdminEnv(consortium, peer), timeoutMs: 60_000 });
    }),
  );
}

/** The channel's height on a peer (`peer channel getinfo`). */
export async function peerHeight(peer: PeerNode, fabric: FabricInstallation, consortium: Consortium): Promise<number> {
  const { stdout } = await runFabric(fabric.programs.peer, ['channel', 'getinfo', '-c', CHANNEL], { env: peerAdminEnv(consortium, peer), timeoutMs: 15_000 });
  const info = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { height: number };
  return info.height;
}
