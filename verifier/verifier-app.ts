/**
 * The verifier: the API of relying agencies and the public verification page (api.md, Verifier).
 * Each resource's routes are an encapsulated plugin in `routes/`; what they share is
 * `VerifierContext`, decorated on the instance as `app.verifier`.
 *
 * Who may call what:
 * - public (no token): `POST /v1/verify/license`, `GET /v1/verify/license/:identifier`,
 *   `POST /v1/verify/seal` and the page `GET /verify` — a person at a service window checks a
 *   license without an account. They read the ledger as the verifier's own identity
 *   (`publicPrincipal`), answer nothing personal, and are rate-limited per client address.
 * - a bearer token of a relying organisation: `POST /v1/verify/material` (it says which files an
 *   organisation holds) and `POST /v1/reuse` (it consumes a use of a holder's grant in the
 *   caller's own name, so the receipt names who read the material).
 */
import multipart from '@fastify/multipart';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../ledger/client';
import { createApp } from '../service/create-app';
import { type Principal, principalPlugin, type PrincipalRegistry } from '../service/principal';
import { Counter, Gauge } from 'prom-client';
import type { VerificationFacts } from '../chaincode/records';
import { type ChaincodeEventSource, FactsCache } from './facts-cache';
import { LicenseVerifier } from './license-verification';
import type { DeliveryTimeouts, MaterialSource } from './material-source';
import { licenseRoutes } from './routes/license';
import { materialRoutes } from './routes/material';
import { pageRoutes } from './routes/page';
import { reuseRoutes } from './routes/reuse';
import { sealRoutes } from './routes/seal';
import { SealSignatures, type SealTrustSource } from './seal-signatures';
import { VerifiedDownloads } from './verified-download';

/** Everything the verifier is built from; the embedded system wires these (system/embedded-system.ts). */
export interface VerifierOptions {
  readonly ledger: Ledger;
  /** Bearer tokens of the callers of authenticated routes. */
  readonly principals: PrincipalRegistry;
  /** The verifier organisation's own ledger identity, used by the public routes. */
  readonly publicPrincipal: Principal;
  /**
   * Trusted seal root certificates, asked for on every verification (a new organisation's CA
   * counts at once; `folderTrust` reads a folder again only when it changed).
   */
  readonly sealTrust: SealTrustSource;
  /** Threads verifying seal signatures off the event loop (default: one per core; 0: on the event loop). */
  readonly sealWorkers?: number;
  /** Where material bytes come from (the custodian organisation). */
  readonly materialSource: MaterialSource;
  /** Deadlines on the custodian's delivery (default 30 s to answer, 30 s longest pause). */
  readonly deliveryTimeouts?: DeliveryTimeouts;
  /** Folder of the verifier's own files (temporary deliveries). */
  readonly dataDir: string;
  /** Largest file accepted by `POST /v1/verify/material` (default 1 GiB). */
  readonly maxUploadBytes?: number;
  /** Requests per minute per client address on public routes (default 600). */
  readonly publicRateLimit?: number;
  /** Requests per minute per principal, or per address when anonymous, on every route (default: very high). */
  readonly rateLimitPerMinute?: number;
  /** Reuse requests in flight at once before `503 OVERLOADED` (default 256). */
  readonly maxInflightSubmits?: number;
  /** The clock "today" is read from (tests). */
  readonly clock?: () => Date;
  /**
   * The chaincode events of the verifier's ledger connection: given, verification facts are
   * cached until an event may have changed them (`facts-cache.ts`); absent, read every time.
   */
  readonly factsEvents?: ChaincodeEventSource;
  readonly logger?: boolean | Record<string, unknown>;
}

/** What the route plugins share, as `app.verifier`. */
export interface VerifierContext {
  readonly options: VerifierOptions;
  readonly licenses: LicenseVerifier;
  readonly signatures: SealSignatures;
  readonly downloads: VerifiedDownloads;
}

declare module 'fastify' {
  interface FastifyInstance {
    verifier: VerifierContext;
  }
}

/**
 * Builds the verifier app (not listening).
 * @example
 * const app = await createVerifierApp({ ledger, principals, publicPrincipal, sealTrust, materialSource, dataDir });
 * await app.listen({ host: '127.0.0.1', port: 7002 });
 */
export async function createVerifierApp(options: VerifierOptions): Promise<FastifyInstance> {
  const app = await createApp({
    service: 'verifier',
    title: 'LicenseChain verifier',
    description: 'License, seal and material verification; material reuse under a grant; the public verification page (api.md, Verifier).',
    ledger: options.ledger,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
    ...(options.maxInflightSubmits !== undefined ? { maxInflightSubmits: options.maxInflightSubmits } : {}),
  });
  const signatures = new SealSignatures({ trust: options.sealTrust, ...(options.sealWorkers !== undefined ? { workers: options.sealWorkers } : {}) });
  app.addHook('onClose', () => signatures.close());
  const downloads = new VerifiedDownloads(join(options.dataDir, 'deliveries'));
  await downloads.init();
  const factsCache = options.factsEvents ? await startFactsCache(app, options.factsEvents) : undefined;
  app.decorate('verifier', {
    options,
    licenses: new LicenseVerifier({
      ledger: options.ledger,
      signatures,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(factsCache ? { factsCache } : {}),
    }),
    signatures,
    downloads,
  });

  await app.register(principalPlugin, { registry: options.principals });
  await app.register(multipart, {
    limits: { fileSize: options.maxUploadBytes ?? 1024 ** 3, files: 1, fields: 4, parts: 5 },
  });
  await app.register(licenseRoutes);
  await app.register(sealRoutes);
  await app.register(materialRoutes);
  await app.register(reuseRoutes);
  await app.register(pageRoutes);
  return app;
}


/** The facts cache, following the ledger's events from now on, with its figures in `/metrics`. */
async function startFactsCache(app: FastifyInstance, events: ChaincodeEventSource): Promise<FactsCache<VerificationFacts>> {
  const cache = new FactsCache<VerificationFacts>({
    events,
    onStreamError: (error) => app.log.warn({ err: error }, 'chaincode event stream failed: verification facts are read from the ledger until it is back'),
  });
  await cache.start();
  app.addHook('onClose', async () => cache.close());
  const registers = [app.metrics.registry];
  new Counter({
    name: 'lc_verifier_facts_cache_total',
    help: 'verification facts lookups by result',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      this.inc({ result: 'hit' }, cache.stats.hits);
      this.inc({ result: 'miss' }, cache.stats.misses);
    },
  });
  new Gauge({
    name: 'lc_verifier_facts_cache_entries',
    help: 'verification facts held; live="0" while the event stream is down (the cache is not used)',
    labelNames: ['live'],
    registers,
    collect() {
      this.reset();
      this.set({ live: cache.stats.live ? '1' : '0' }, cache.size);
    },
  });
  return cache;
}
