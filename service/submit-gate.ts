/**
 * Back-pressure on writes: at most `max` state-changing requests of a service are in flight at
 * once — each may submit ledger transactions (a batch a few, one after another per chunk) — and
 * the next one is refused at once with `503 OVERLOADED` and `Retry-After`, never queued: under a
 * burst the service keeps answering, and clients back off instead of piling up submits that would
 * all time out together.
 *
 * A request takes its slot once it is authenticated and its JSON body validated (invalid requests
 * never hold one) and gives it back when its answer is ready (`onSend`) — or when its connection
 * closes without one. GETs and routes marked `config.readOnly` (service/openapi.ts) pass freely.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from './problem';

/** The bound when none is configured. */
export const DEFAULT_MAX_INFLIGHT_SUBMITS = 256;

/** Seconds a refused client is asked to wait. */
const RETRY_AFTER_SECONDS = 1;

declare module 'fastify' {
  interface FastifyInstance {
    submitGate: SubmitGate;
  }
  interface FastifyRequest {
    /** Gives the request's slot back (idempotent); undefined when it holds none. */
    releaseSubmitSlot: (() => void) | undefined;
  }
}

/** A counter of slots; no queue. */
export class SubmitGate {
  readonly max: number;
  #inflight = 0;

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`the submit gate needs at least one slot (got ${max})`);
    this.max = max;
  }

  get inflight(): number {
    return this.#inflight;
  }

  /** Takes a slot: the function that gives it back (once), or undefined when none is free. */
  tryAcquire(): (() => void) | undefined {
    if (this.#inflight >= this.max) return undefined;
    this.#inflight += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#inflight -= 1;
    };
  }
}

function writes(request: FastifyRequest): boolean {
  const method = request.method;
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && request.routeOptions.url !== undefined && request.routeOptions.config.readOnly !== true;
}

export const submitGatePlugin = fp(async (app: FastifyInstance, options: { max?: number }) => {
  const gate = new SubmitGate(options.max ?? DEFAULT_MAX_INFLIGHT_SUBMITS);
  app.decorate('submitGate', gate);
  app.decorateRequest('releaseSubmitSlot', undefined);

  app.addHook('preHandler', async (request, reply) => {
    if (!writes(request)) return;
    const release = gate.tryAcquire();
    if (!release) {
      throw new ProblemError('OVERLOADED', `${gate.max} state-changing requests are already in flight; retry in ${RETRY_AFTER_SECONDS} s`, {
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      });
    }
    request.releaseSubmitSlot = release;
    reply.raw.once('close', release);
  });

  app.addHook('onSend', async (request, _reply, payload) => {
    request.releaseSubmitSlot?.();
    return payload;
  });
});
