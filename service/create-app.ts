/**
 * The Fastify instance both services start from: strict ajv (unknown properties are refused,
 * never stripped; no type coercion — a body that is hashed or anchored must be exactly what was
 * sent), problem+json for every failure, pino logs with secrets redacted, OpenAPI 3 at
 * `/openapi.json` and a browsable `/docs`, the operational routes, and the resource limits: rate
 * limits per caller (rate-limits.ts) and a bound on writes in flight (submit-gate.ts).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Ledger } from '../ledger/client';
import { installProblemHandlers, sendClientError, sendProblem, toProblemError } from './error-handler';
import { installStrictJsonParser } from './json-body';
import { documentRoute } from './openapi';
import { operationsPlugin } from './operations';
import { registerRateLimits } from './rate-limits';
import { submitGatePlugin } from './submit-gate';
import { problemSchema } from './problem';

export interface CreateAppOptions {
  readonly service: 'gateway' | 'verifier';
  readonly title: string;
  readonly description: string;
  readonly ledger: Ledger;
  /** Largest JSON body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** pino options, or false for no logging. */
  readonly logger?: boolean | Record<string, unknown>;
  /** Requests per minute per principal (or per address when anonymous); default very high. */
  readonly rateLimitPerMinute?: number;
  /** State-changing requests in flight at once before `503 OVERLOADED` (default 256). */
  readonly maxInflightSubmits?: number;
}

/** Log paths that may carry secrets or personal data; pino replaces their values. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  // @fastify/multipart traces the options it gives the parser, request headers included.
  'busboyOptions.headers.authorization',
  'busboyOptions.headers.cookie',
  '*.headers.authorization',
  'req.query.code',
  'req.query.holderCode',
];

export async function createApp(options: CreateAppOptions): Promise<FastifyInstance> {
  const logger =
    options.logger === false
      ? false
      : { level: 'info', redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' }, ...(typeof options.logger === 'object' ? options.logger : {}) };
  const app = Fastify({
    logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Fastify's request lines log the raw URL, whose query may carry holder codes: one line per
    // request is written below instead, with the route pattern.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestTimeout: 120_000,
    // Ids are up to 128 characters and license identifiers up to 200: the route schemas judge
    // them; a longer parameter is refused by the router (URI_TOO_LONG).
    routerOptions: { maxParamLength: 512 },
    // Undecodable URLs and over-long parameters are refused by the router before any route runs:
    // as problem+json too, and malformed HTTP (oversized headers, garbage) at the socket.
    frameworkErrors: (error, _request, reply) => void sendProblem(reply, toProblemError(error)),
    clientErrorHandler: sendClientError,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: true, strict: 'log' } },
  });
  installProblemHandlers(app);
  installStrictJsonParser(app);
  app.addSchema(problemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: options.title, description: options.description, version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: documentRoute,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(operationsPlugin, { ledger: options.ledger, service: options.service });
  // After the operational routes, which are neither limited nor gated.
  await app.register(submitGatePlugin, { ...(options.maxInflightSubmits !== undefined ? { max: options.maxInflightSubmits } : {}) });
  await registerRateLimits(app, options.rateLimitPerMinute);
  app.addHook('onResponse', async (request, reply) => {
    // One line per request without the query string (see disableRequestLogging above).
    request.log.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(performance.now() - request.startedAt) }, 'request');
  });
  return app;
}
