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
import { principalPlugin, type PrincipalRegistry } from '../service/principal';
import { registryRoutes } from './routes/registry';

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
}

export interface GatewayContext {
  readonly options: GatewayOptions;
  readonly idempotency: IdempotencyStore;
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
  });
  mkdirSync(options.dataDir, { recursive: true });
  const idempotency = new IdempotencyStore(join(options.dataDir, 'idempotency'));
  await idempotency.open();
  app.addHook('onClose', async () => idempotency.close());
  app.decorate('lc', { options, idempotency });

  await app.register(principalPlugin, { registry: options.principals });
  await app.register(idempotencyPlugin, { store: idempotency });
  await app.register(registryRoutes);
  return app;
}
