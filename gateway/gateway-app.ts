/**
 * The gateway: the write API of issuers, the one-stop portal and the data authority (api.md,
 * Gateway section). Each resource's routes are an encapsulated plugin in `routes/`; what they
 * share — the ledger, principals, stores, seal signers, holder-reference key — is `GatewayContext`,
 * decorated on the instance as `app.lc`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../ledger/client';
import { createApp } from '../service/create-app';
import { IdempotencyStore, idempotencyPlugin } from '../service/idempotency';
import type { MemberTrust } from '../service/member-trust';
import { principalPlugin, type PrincipalRegistry } from '../service/principal';
import { SignedRequestVerifier } from '../service/signed-request-verifier';
import { FieldsSchemaStore } from './fields-schema-store';
import { IssuingCache } from './issuing-cache';
import { LicenseStore } from './license-store';
import { ledgerRoutes } from './routes/ledger';
import { licenseRoutes } from './routes/licenses';
import { registryRoutes } from './routes/registry';
import { sealRoutes } from './routes/seals';
import { SignerPool } from '../seal/signer-pool';
import { SealKeyring } from './seal-keyring';
import { openFsMaterialStore, type MaterialStore } from './material-store';
import { ResolutionOutbox } from './resolution-outbox';
import { consentRoutes } from './routes/consent';
import { disputeRoutes } from './routes/disputes';
import { holderRoutes } from './routes/holders';
import { materialRoutes } from './routes/materials';

export interface GatewayOptions {
  readonly ledger: Ledger;
  readonly principals: PrincipalRegistry;
  /** Folder of the gateway's own stores (idempotency, documents, materials). */
  readonly dataDir: string;
  /** HMAC-SM3 key for holder references (≥ 16 bytes). */
  readonly holderKey: Buffer;
  /** Base URL of the verifier, for QR payloads. */
  readonly publicVerifierUrl: string;
  readonly maxUploadBytes: number;
  readonly logger?: boolean | Record<string, unknown>;
  /** Requests per minute per principal, or per address when anonymous (default: very high). */
  readonly rateLimitPerMinute?: number;
  /** State-changing requests in flight at once before `503 OVERLOADED` (default 256). */
  readonly maxInflightSubmits?: number;
  /** How long the first answer to an `Idempotency-Key` is replayed (ms; default 24 hours). */
  readonly idempotencyRetentionMs?: number;
  /** The organisations' seals and signers (default: opened from `<dataDir>/seals`). */
  readonly sealKeyring?: SealKeyring;
  /** Fields schemas to hold from the start (e.g. the demo license types'). */
  readonly fieldsSchemas?: readonly Readonly<Record<string, unknown>>[];
  /**
   * The consortium's organisations and root CAs: given, other organisations may call the
   * delivery route with requests signed by their X.509 identity; absent, bearer tokens only.
   */
  readonly memberTrust?: MemberTrust;
}

export interface GatewayContext {
  readonly options: GatewayOptions;
  readonly idempotency: IdempotencyStore;
  readonly keyring: SealKeyring;
  /** License types' fields schemas, by digest. */
  readonly schemas: FieldsSchemaStore;
  /** Sealed license documents, by identifier. */
  readonly licenses: LicenseStore;
  /** Material bytes this organisation keeps, by SM3 digest. */
  readonly materials: MaterialStore;
  /** Dispute resolutions still to be recorded on the ledger. */
  readonly resolutions: ResolutionOutbox;
  /** Seal, organisation and type answers issuance reuses for a few seconds. */
  readonly issuing: IssuingCache;
  /** Checks requests signed by other organisations (undefined without `memberTrust`). */
  readonly signedRequests: SignedRequestVerifier | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    lc: GatewayContext;
  }
}

export async function createGatewayApp(options: GatewayOptions): Promise<FastifyInstance> {
  const app = await createApp({
    service: 'gateway',
    title: 'LicenseChain gateway',
    description: 'Issuance, lifecycle, materials, consent, disputes and seals (api.md, Gateway).',
    ledger: options.ledger,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
    ...(options.maxInflightSubmits !== undefined ? { maxInflightSubmits: options.maxInflightSubmits } : {}),
  });
  mkdirSync(options.dataDir, { recursive: true });
  const idempotency = new IdempotencyStore(join(options.dataDir, 'idempotency'), {
    ...(options.idempotencyRetentionMs !== undefined ? { retentionMs: options.idempotencyRetentionMs } : {}),
  });
  await idempotency.open();
  app.addHook('onClose', async () => idempotency.close());
  let keyring = options.sealKeyring;
  if (!keyring) {
    // The gateway's own keyring signs on worker threads, ended with the gateway.
    const pool = new SignerPool();
    app.addHook('onClose', async () => pool.close());
    keyring = await SealKeyring.open(options.dataDir, { signerFactory: (certificate, key) => pool.signer(certificate, key) });
  }
  const schemas = new FieldsSchemaStore(join(options.dataDir, 'schemas'));
  for (const schema of options.fieldsSchemas ?? []) await schemas.put(schema);
  const licenses = new LicenseStore(join(options.dataDir, 'licenses'));
  await licenses.open();
  app.addHook('onClose', async () => licenses.close());
  const materials = await openFsMaterialStore(join(options.dataDir, 'materials'));
  const resolutions = new ResolutionOutbox(join(options.dataDir, 'resolution-outbox'));
  await resolutions.open();
  app.addHook('onClose', async () => resolutions.close());
  const signedRequests = options.memberTrust ? new SignedRequestVerifier({ trust: options.memberTrust }) : undefined;
  app.decorate('lc', { options, idempotency, keyring, schemas, licenses, materials, resolutions, issuing: new IssuingCache(), signedRequests });

  await app.register(principalPlugin, { registry: options.principals });
  await app.register(idempotencyPlugin, { store: idempotency });
  await app.register(registryRoutes);
  await app.register(licenseRoutes);
  await app.register(sealRoutes);
  await app.register(ledgerRoutes);
  await app.register(materialRoutes);
  await app.register(consentRoutes);
  await app.register(holderRoutes);
  await app.register(disputeRoutes);
  return app;
}
