/**
 * Who is calling: bearer tokens (kept only as SHA-256 hashes) map to a principal — an
 * organisation (MSP ID), a role and the ledger identity the service submits with. The service
 * authenticates; the chaincode still decides what the principal may do.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Contract } from '../ledger/client';
import { ProblemError } from './problem';
import type { SigningIdentity } from './request-signature';

export interface Principal {
  readonly name: string;
  readonly mspId: string;
  readonly role: string;
  /** The chaincode, as this principal's ledger identity. */
  readonly contract: Contract;
  /** The identity's ID as the chaincode sees it (`x509::/…::/…`). */
  readonly identityId: string;
  /** The same identity as a signer of requests to other organisations' gateways (request-signature.ts), when the service holds its key. */
  readonly identity?: SigningIdentity;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class PrincipalRegistry {
  readonly #byTokenHash = new Map<string, Principal>();

  add(tokenHash: string, principal: Principal): void {
    this.#byTokenHash.set(tokenHash, principal);
  }

  resolve(token: string): Principal | undefined {
    return this.#byTokenHash.get(hashToken(token));
  }

  get principals(): Principal[] {
    return [...this.#byTokenHash.values()];
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,256})$/;

const badToken = Symbol('licensechain.badToken');

/**
 * Sets `request.principal` from the Authorization header; routes call `requirePrincipal`. A
 * token that is not valid is refused (`401`) before the body is read — but only after the rate
 * limiter (route-level `onRequest` hooks run after this one) has counted the request against the
 * caller's address, so that guessing tokens is throttled like any anonymous traffic.
 */
export const principalPlugin = fp(async (app: FastifyInstance, options: { registry: PrincipalRegistry }) => {
  app.decorateRequest('principal', undefined);
  app.decorateRequest(badToken, false);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const match = BEARER.exec(header);
    const principal = match ? options.registry.resolve(match[1] as string) : undefined;
    if (principal) request.principal = principal;
    else (request as unknown as Record<symbol, boolean>)[badToken] = true;
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    if ((request as unknown as Record<symbol, boolean>)[badToken]) throw new ProblemError('UNAUTHENTICATED', 'the bearer token is not valid');
    return payload;
  });
});

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ProblemError('UNAUTHENTICATED', 'send Authorization: Bearer <token>');
  return request.principal;
}
