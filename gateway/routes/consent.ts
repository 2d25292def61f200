/**
 * Consent routes (api.md "Materials and consent"; README flow 6): the portal, acting for a
 * material's owner, grants an organisation the use of the material for a purpose (用证事由), a case
 * number, until a time, for at most N uses — and may revoke the grant. The portal names the holder
 * it acts for; the holder reference is computed here and the chaincode checks that it is the
 * material's owner.
 */
import type { FastifyInstance } from 'fastify';
import { TIME_PATTERN } from '../../chaincode/clock';
import { evaluate, submit } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';
import { HOLDER_QUERY_PROPERTIES, HOLDER_SCHEMA, holderRefOf, type HolderInput } from '../holder-input';
import { GRANT_SCHEMA, GRANT_WRITE_SCHEMA, ID_PATTERN, TEXT_PATTERN as TEXT } from './record-schemas';

/** Most uses one grant may allow (chaincode/consent-contract.ts MAX_GRANT_USES). */
const MAX_GRANT_USES = 10_000;

const GRANT_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['holder', 'grantee', 'purpose', 'expiresAt', 'maxUses'],
  properties: {
    holder: HOLDER_SCHEMA,
    grantee: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    purpose: { type: 'string', minLength: 1, maxLength: 200, pattern: TEXT },
    caseNo: { type: 'string', minLength: 1, maxLength: 64, pattern: TEXT },
    expiresAt: { type: 'string', pattern: TIME_PATTERN },
    maxUses: { type: 'integer', minimum: 1, maximum: MAX_GRANT_USES },
  },
} as const;

interface GrantBody {
  holder: HolderInput;
  grantee: string;
  purpose: string;
  caseNo?: string;
  expiresAt: string;
  maxUses: number;
}

const GRANT_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['grantId'],
  properties: { grantId: { type: 'string', pattern: ID_PATTERN } },
} as const;

/** Registers the grant routes on `app`. */
export async function consentRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/materials/:materialId/grants',
    {
      schema: {
        tags: ['consent'],
        summary: 'Grant an organisation the use of a material (portal, for the material\'s owner)',
        params: { type: 'object', additionalProperties: false, required: ['materialId'], properties: { materialId: { type: 'string', pattern: ID_PATTERN } } },
        body: GRANT_BODY,
        response: { 201: GRANT_WRITE_SCHEMA, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const { materialId } = request.params as { materialId: string };
      const { holder, caseNo, ...rest } = request.body as GrantBody;
      // With an Idempotency-Key, the ledger remembers which grant this request created: a retry
      // after a crash that lost the answer gets that grant, not a second one (chaincode/requests.ts).
      const requestId = request.idempotency?.key;
      const input = { materialId, ownerRef: holderRefOf(app, holder), ...rest, ...(caseNo !== undefined ? { caseNo } : {}), ...(requestId ? { requestId } : {}) };
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, principal, 'consent:CreateGrant', input);
      return reply.code(201).send({ ...result, txId, blockNumber });
    },
  );

  app.get(
    '/v1/grants/:grantId',
    { schema: { tags: ['consent'], summary: 'A grant (its parties, portal, admin, auditor)', params: GRANT_PARAMS, response: { 200: GRANT_SCHEMA, '4xx': { $ref: 'Problem#' } } } },
    async (request) => {
      const { grantId } = request.params as { grantId: string };
      return evaluate(requirePrincipal(request), 'consent:GetGrant', grantId);
    },
  );

  app.delete(
    '/v1/grants/:grantId',
    {
      schema: {
        tags: ['consent'],
        summary: 'Revoke a grant (portal, for the material\'s owner)',
        description: 'The holder the portal acts for is named in the query (`codeType`, `code`; the code is never logged).',
        params: GRANT_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['codeType', 'code'],
          properties: { ...HOLDER_QUERY_PROPERTIES, reason: { type: 'string', minLength: 1, maxLength: 1000, pattern: TEXT } },
        },
        response: { 200: GRANT_WRITE_SCHEMA, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const { grantId } = request.params as { grantId: string };
      const { codeType, code, reason } = request.query as { codeType: string; code: string; reason?: string };
      const input = { grantId, ownerRef: holderRefOf(app, { codeType, code }), ...(reason !== undefined ? { reason } : {}) };
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, principal, 'consent:RevokeGrant', input);
      return { ...result, txId, blockNumber };
    },
  );
}
