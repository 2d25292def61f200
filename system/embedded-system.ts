/**
 * The whole of LicenseChain in one process, on the embedded ledger: what `npm start` runs and
 * what end-to-end tests start. Creates the demo consortium once, opens the ledger with the
 * consortium's organisations as channel members, and starts the services on it
 * (`services.ts`: every principal's identity connected, demo registry and seals, gateway and
 * verifier).
 */
import { join } from 'node:path';
import { SigningPool } from '../certs/signing-pool';
import { contracts } from '../chaincode';
import { EmbeddedLedger } from '../ledger/embedded';
import { MemberTrust } from '../service/member-trust';
import type { SystemConfig } from './config';
import { ensureDemoConsortium } from './demo-consortium';
import { startServices, type LicenseChainSystem, type StartOptions } from './services';

export type { StartOptions } from './services';

export const CHANNEL_ID = 'licensechain';
export const CHAINCODE_NAME = 'licensechain';

export interface EmbeddedSystem extends LicenseChainSystem {
  readonly ledger: EmbeddedLedger;
}

export async function startEmbeddedSystem(config: SystemConfig, options: StartOptions = {}): Promise<EmbeddedSystem> {
  const demo = await ensureDemoConsortium(config.dataDir, {
    gateway: `http://${config.gateway.host}:${config.gateway.port}`,
    verifier: `http://${config.verifier.host}:${config.verifier.port}`,
  });
  const ledger = await EmbeddedLedger.open({
    path: join(config.dataDir, 'ledger'),
    channel: {
      channelId: CHANNEL_ID,
      organisations: demo.consortium.organisations.map((org) => ({ mspId: org.mspId, rootCertificates: [org.caCertificate] })),
    },
    chaincodes: [{ name: CHAINCODE_NAME, version: '1.0', contracts }],
    blockCutter: config.blockCutter,
  });
  // Every principal's proposals are signed on one worker thread, off the services' event loop.
  const signing = new SigningPool();
  const system = await startServices({
    config,
    options,
    demo,
    ledger,
    connect: (entry, credentials) =>
      ledger.connect({ identity: { mspId: entry.mspId, credentials: Buffer.from(credentials.certificate) }, signer: signing.signer(credentials.privateKey) }),
    // Other organisations' signed requests are checked against the channel's members and CAs.
    memberTrust: new MemberTrust(ledger.channel.organisations),
    closers: [() => ledger.close(), () => signing.close()],
  });
  return { ...system, ledger };
}
