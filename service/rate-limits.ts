/**
 * Requests per minute per caller, on every route of a service registered after this plugin
 * (@fastify/rate-limit, in memory): a principal is counted by name — whichever address it calls
 * from —, anyone else (no token, or a token that is not valid) by client address, so guessing
 * tokens is throttled too. Over the limit: `429 RATE_LIMITED` problem+json with `Retry-After`.
 * Routes may set a tighter `config.rateLimit` (the verifier's public routes do). Operational
 * routes (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`) are registered before it and are
 * never limited.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from './problem';

/** The limit when none is configured: high, so that tests and benchmarks are never throttled. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1_000_000;

/** Whom a request is counted against. */
export function rateLimitKey(request: FastifyRequest): string {
  return request.principal ? `principal:${request.principal.name}` : `address:${request.ip}`;
}

export async function registerRateLimits(app: FastifyInstance, perMinute = DEFAULT_RATE_LIMIT_PER_MINUTE): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    // Route-level hooks run after the principal plugin's, so `request.principal` is known here.
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) =>
      new ProblemError('RATE_LIMITED', `more than ${context.max} requests a minute; retry in ${context.after}`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
}
