/**
 * The gateway and the verifier on a ledger, whichever it is: what the embedded system and the
 * Fabric system share. Each principal of the demo is connected to the ledger with its own X.509
 * identity (`connect`), the demo registry and seals are put on the ledger if missing, and both
 * services are built and (optionally) listening.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { findMember, memberCredentials } from '../certs/consortium';
import type { Credentials } from '../certs/credentials';
import { createGatewayApp } from '../gateway/gateway-app';
import { openMaterialDelivery } from '../gateway/material-delivery';
import { SealKeyring, loadSealTrustRoots, sealsDir } from '../gateway/seal-keyring';
import type { Gateway, Ledger } from '../ledger/client';
import { SignerPool } from '../seal/signer-pool';
import type { MemberTrust } from '../service/member-trust';
import { PrincipalRegistry, type Principal } from '../service/principal';
import { signingIdentity } from '../service/request-signature';
import { HttpMaterialSource } from '../verifier/http-material-source';
import { FunctionMaterialSource, type MaterialSource } from '../verifier/material-source';
import { folderTrust } from '../verifier/seal-signatures';
import { createVerifierApp } from '../verifier/verifier-app';
import type { SystemConfig } from './config';
import type { DemoMaterial, PrincipalEntry } from './demo-consortium';
import { DEMO_LICENSE_TYPES, ensureDemoLedger } from './demo-ledger';
import { ensureDemoSeals } from './demo-seals';

export interface StartOptions {
  /** Listen on the configured ports (default true); false for in-process tests with `inject`. */
  readonly listen?: boolean;
  readonly logger?: boolean | Record<string, unknown>;
}

/** A running LicenseChain: gateway and verifier on a ledger. */
export interface LicenseChainSystem {
  readonly config: SystemConfig;
  readonly ledger: Ledger;
  readonly gateway: FastifyInstance;
  readonly verifier: FastifyInstance;
  readonly principals: PrincipalRegistry;
  readonly demo: DemoMaterial;
  /** Graceful: stop accepting, finish in-flight requests, close the ledger connections and stores. */
  close(): Promise<void>;
}

export interface ServicesInput {
  readonly config: SystemConfig;
  readonly options: StartOptions;
  readonly demo: DemoMaterial;
  /** Ledger-wide reads (height, blocks, transactions) for both services. */
  readonly ledger: Ledger;
  /** A connection to the ledger as a principal's identity. */
  connect(entry: PrincipalEntry, credentials: Credentials): Gateway;
  /** The channel's organisations and CAs: who may sign cross-organisation requests. */
  readonly memberTrust: MemberTrust;
  /** Run at close, after the services (the ledger, signing threads). */
  readonly closers: Array<() => Promise<void>>;
}

/** Builds both services on `input.ledger`; on failure everything opened so far is closed. */
export async function startServices(input: ServicesInput): Promise<LicenseChainSystem> {
  const { config, options, demo, ledger } = input;
  const closers = input.closers;
  try {
    const principals = new PrincipalRegistry();
    const byName = new Map<string, Principal>();
    const gateways = new Map<string, Gateway>();
    for (const entry of demo.principals) {
      const credentials = await memberCredentials(demo.consortium, entry.mspId, entry.name);
      const gateway = input.connect(entry, credentials);
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
    // Software seal keys sign on worker threads (one per core but one), off the event loop.
    const signerPool = new SignerPool();
    closers.unshift(() => signerPool.close());
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
      idempotencyRetentionMs: config.idempotencyRetentionMs,
      sealKeyring,
      fieldsSchemas: DEMO_LICENSE_TYPES.map((type) => type.fieldsSchema),
      memberTrust: input.memberTrust,
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
      closers.unshift(async () => overHttp.close());
      materialSource = overHttp;
    }
    const verifier = await createVerifierApp({
      ledger,
      principals,
      publicPrincipal: byName.get('verifier') as Principal,
      ...(config.factsCache === 'events' ? { factsEvents: gateways.get('verifier') as Gateway } : {}),
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
