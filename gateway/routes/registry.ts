/**
 * Registry routes (admin): organisations and license types. A type's fields schema (a JSON
 * Schema of its surface fields) stays off-chain in the gateway; the ledger records its digest.
 */
import type { FastifyInstance } from 'fastify';
import { evaluate, submit } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';

const ORG_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['msp', 'name', 'code', 'roles'],
  properties: {
    msp: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    code: { type: 'string', pattern: '^[0-9A-HJ-NPQRTUWXY]{18}$' },
    roles: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['admin', 'issuer', 'verifier', 'portal', 'auditor'] } },
    endpoint: { type: 'string', pattern: '^https?://', maxLength: 300 },
    areaCode: { type: 'string', pattern: '^[0-9]{6}$' },
  },
} as const;

const WRITE_ANSWER = {
  type: 'object',
  additionalProperties: true,
  required: ['txId', 'blockNumber'],
  properties: { txId: { type: 'string' }, blockNumber: { type: 'integer' } },
} as const;

export async function registryRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/orgs',
    { schema: { tags: ['registry'], summary: 'Register an organisation (admin)', body: ORG_BODY, response: { 201: WRITE_ANSWER, '4xx': { $ref: 'Problem#' } } } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, principal, 'registry:RegisterOrganisation', request.body as Record<string, unknown>);
      return reply.code(201).send({ ...result, txId, blockNumber });
    },
  );

  app.get('/v1/orgs', { schema: { tags: ['registry'], summary: 'List organisations' } }, async (request) => {
    return evaluate(requirePrincipal(request), 'registry:ListOrganisations');
  });
}
