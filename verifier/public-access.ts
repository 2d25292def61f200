/**
 * The public side of the verifier: routes a person at a service window calls without a token. They
 * read the ledger as the verifier organisation's own identity, unless the caller sent a token of
 * its own, and are rate-limited per client address.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../service/principal';

/** The route config that rate-limits a public route (requests per minute per address). */
export function publicRateLimit(app: FastifyInstance): { rateLimit: { max: number; timeWindow: number } } {
  return { rateLimit: { max: app.verifier.options.publicRateLimit ?? 600, timeWindow: 60_000 } };
}

/** The caller's principal if it sent a token, else the verifier's own. */
export function readerFor(app: FastifyInstance, request: FastifyRequest): Principal {
  return request.principal ?? app.verifier.options.publicPrincipal;
}

/** OpenAPI: a route callable with or without a bearer token. */
export const OPTIONAL_BEARER: { [scheme: string]: string[] }[] = [{}, { bearer: [] }];
