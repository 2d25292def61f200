/**
 * The whole of LicenseChain in one process, on the embedded ledger: what `npm start` runs and
 * what end-to-end tests start. Creates the demo consortium once, opens the ledger with the
 * consortium's organisations as channel members, connects every principal's identity, puts the
 * demo registry on the ledger, and serves the gateway and the verifier.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { findMember, memberCredentials } from '../certs/consortium';
import { SigningPool } from '../certs/signing-pool';
import { contracts } from '../chaincode';
import { createGatewayApp } from '../gateway/gateway-app';
import { openMaterialDelivery } from '../gateway/material-delivery';
import { SealKeyring, loadSealTrustRoots, sealsDir } from '../gateway/seal-keyring';
import { SignerPool } from '../seal/signer-pool';
import { EmbeddedLedger } from '../ledger/embedded';
import type { Gateway } from '../ledger/client';
import { MemberTrust } from '../service/member-trust';
import { PrincipalRegistry, type Principal } from '../service/principal';
import { signingIdentity } from '../service/request-signature';
import { HttpMaterialSource } from '../verifier/http-material-source';
import { FunctionMaterialSource, type MaterialSource } from '../verifier/material-source';
import { folderTrust } from '../verifier/seal-signatures';
import { createVerifierApp } from '../verifier/verifier-app';
import type { SystemConfig } from './config';
import { ensureDemoConsortium, type DemoMaterial } from './demo-consortium';
import { DEMO_LICENSE_TYPES, ensureDemoLedger } from './demo-ledger';
import { ensureDemoSeals } from './demo-seals';

export const CHANNEL_ID = 'licensechain';
export const CHAINCODE_NAME = 'licensechain';

export interface EmbeddedSystem {
  readonly config: SystemConfig;
  readonly ledger: EmbeddedLedger;
  readonly gateway: FastifyInstance;
  readonly verifier: FastifyInstance;
  readonly principals: PrincipalRegistry;
  readonly demo: DemoMaterial;
  /** Graceful: stop accepting, finish in-flight requests, commit pending blocks, close stores. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Listen on the configured ports (default true); false for in-process tests with `inject`. */
  readonly listen?: boolean;
  readonly logger?: boolean | Record<string, unknown>;
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
  const closers: Array<() => Promise<void>> = [() => ledger.close(), () => signing.close()];
  try {
    const principals = new PrincipalRegistry();
    const byName = new Map<string, Principal>();
    const gateways = new Map<string, Gateway>();
    for (const entry of demo.principals) {
      const credentials = await memberCredentials(demo.consortium, entry.mspId, entry.name);
      const gateway = ledger.connect({ identity: { mspId: entry.mspId, credentials: Buffer.from(credentials.certificate) }, signer: signing.signer(credentials.privateKey) });
      const principal: Principal = {
        name: entry.name,
        mspId: entry.mspId,
        role: entry.role,
        contract: gateway.getContract(),
        identityId: findMember(demo.consortium, entry.mspId, entry.name).clientId,
        identity: signingIdentity(credentials),
      };
      principals.add(entry.tokenHash, principal);
      byName.set(entry.name, principal);
      gateways.set(entry.name, gateway);
    }
    await ensureDemoLedger(byName.get('admin') as Principal);
    // Software seal keys sign on worker threads (one per core but one), off the event loop that runs the ledger.
    const signerPool = new SignerPool();
    closers.push(() => signerPool.close());
    const sealKeyring = await SealKeyring.open(config.dataDir, { signerFactory: (certificate, key) => signerPool.signer(certificate, key) });
    await ensureDemoSeals(sealKeyring, byName, byName.get('admin') as Principal);

    const logger = options.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel });
    const gateway = await createGatewayApp({
      ledger,
      principals,
      dataDir: join(config.dataDir, 'gateway'),
      holderKey: demo.holderKey,
      publicVerifierUrl: config.publicVerifierUrl,
      maxUploadBytes: config.maxUploadBytes,
      logger,
      rateLimitPerMinute: config.rateLimitPerMinute,
      maxInflightSubmits: config.maxInflightSubmits,
      sealKeyring,
      fieldsSchemas: DEMO_LICENSE_TYPES.map((type) => type.fieldsSchema),
      // Other organisations' signed requests are checked against the channel's members and CAs.
      memberTrust: new MemberTrust(ledger.channel.organisations),
    });
    closers.unshift(() => gateway.close());
    if (options.listen ?? true) await gateway.listen({ host: config.gateway.host, port: config.gateway.port });

    // The verifier reads public verifications as the relying agency's identity; material bytes
    // come in-process from the custodian's side of the gateway, or over HTTP(S) from custodians
    // configured with a URL (LC_CUSTODIAN_URLS).
    const inProcess = new FunctionMaterialSource((r) => openMaterialDelivery(gateway, r.grantee, r.materialId, r.receiptId));
    let materialSource: MaterialSource = inProcess;
    if (Object.keys(config.custodianUrls).length > 0) {
      const ca = config.custodianCaFile === undefined ? undefined : readFileSync(config.custodianCaFile, 'utf8');
      const overHttp = new HttpMaterialSource({ custodians: config.custodianUrls, fallback: inProcess, ...(ca !== undefined ? { ca } : {}) });
      closers.push(async () => overHttp.close());
      materialSource = overHttp;
    }
    const verifier = await createVerifierApp({
      ledger,
      principals,
      publicPrincipal: byName.get('verifier') as Principal,
      factsEvents: gateways.get('verifier') as Gateway,
      sealTrust: folderTrust(join(sealsDir(config.dataDir), 'trust'), () => loadSealTrustRoots(config.dataDir)),
      materialSource,
      dataDir: join(config.dataDir, 'verifier'),
      maxUploadBytes: config.maxUploadBytes,
      logger,
      rateLimitPerMinute: config.rateLimitPerMinute,
      maxInflightSubmits: config.maxInflightSubmits,
    });
    closers.unshift(() => verifier.close());
    if (options.listen ?? true) await verifier.listen({ host: config.verifier.host, port: config.verifier.port });

    let closing: Promise<void> | undefined;
    return {
      config,
      ledger,
      gateway,
      verifier,
      principals,
      demo,
      close: () => {
        closing ??= (async () => {
          for (const close of closers) await close();
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}
