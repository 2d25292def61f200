/**
 * The operational surface every service has: `/healthz` (the process answers), `/readyz` (the
 * ledger answers), `/metrics` (Prometheus: requests by route pattern — never raw URLs, which may
 * carry identifiers — latency, ledger submits, block height).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Ledger } from '../ledger/client';

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly ledgerSubmits: Histogram<'transaction' | 'outcome'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
  interface FastifyRequest {
    startedAt: number;
  }
}

export const operationsPlugin = fp(async (app: FastifyInstance, options: { ledger: Ledger; service: string }) => {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'lc_http_requests_total', help: 'HTTP requests by route pattern and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'lc_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const ledgerSubmits = new Histogram({
    name: 'lc_ledger_submit_duration_seconds',
    help: 'Ledger submit duration by transaction and outcome',
    labelNames: ['transaction', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'lc_ledger_block_height',
    help: 'Ledger height (number of blocks)',
    registers: [registry],
    async collect() {
      // A scrape must neither hang nor fail on a ledger that does not answer: the gauge keeps its last value.
      try {
        this.set((await withDeadline(options.ledger.info(), 2000)).height);
      } catch {
        // keep the last value
      }
    },
  });
  app.decorate('metrics', { registry, ledgerSubmits });
  app.decorateRequest('startedAt', 0);

  app.addHook('onRequest', async (request) => {
    request.startedAt = performance.now();
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, (performance.now() - request.startedAt) / 1000);
  });

  const hidden = { schema: { hide: true } };
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));
  app.get('/readyz', hidden, async (_request, reply) => {
    try {
      const info = await withDeadline(options.ledger.info(), 2000);
      return { status: 'ready', ledgerHeight: info.height };
    } catch {
      return reply.code(503).type('application/problem+json').send({
        type: 'urn:licensechain:problem:ledger-unavailable',
        title: 'The ledger is unavailable',
        status: 503,
        detail: 'the ledger did not answer',
        code: 'LEDGER_UNAVAILABLE',
      });
    }
  });
  app.get('/metrics', hidden, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
});

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('deadline')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
