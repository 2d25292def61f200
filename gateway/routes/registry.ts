/**
 * Registry routes (admin): organisations and license types. A type's fields schema (a JSON
 * Schema of its surface fields) stays off-chain in the gateway; the ledger records its digest.
 */
import type { FastifyInstance } from 'fastify';
import { EndorseError } from '../../ledger/errors';
import { evaluate, submit } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';
import { WRITE_ANSWER } from './record-schemas';

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

const USCC = '^[0-9A-HJ-NP-RTUWXY]{18}$';

const LICENSE_TYPE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['typeCode', 'name', 'definerCode', 'holderCodeTypes', 'issuers', 'fieldsSchema'],
  properties: {
    typeCode: { type: 'string', pattern: '^[0-9A-HJ-NP-RTUWXY]{18}[0-9]{3}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    definerCode: { type: 'string', pattern: USCC },
    holderCodeTypes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[0-9]{3}$' } },
    issuers: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } },
    fieldsSchema: { type: 'object', description: "JSON Schema of the type's surface fields (kept by the gateway; the ledger records its digest)" },
  },
} as const;

const TYPE_CODE_PARAMS = {
  type: 'object',
  required: ['typeCode'],
  properties: { typeCode: { type: 'string', pattern: '^[0-9A-HJ-NP-RTUWXY]{18}[0-9]{3}$' } },
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

  app.post(
    '/v1/license-types',
    { schema: { tags: ['registry'], summary: 'Register a license type with its fields schema (admin)', body: LICENSE_TYPE_BODY, response: { 201: WRITE_ANSWER, '4xx': { $ref: 'Problem#' } } } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const { fieldsSchema, ...type } = request.body as { fieldsSchema: Record<string, unknown> } & Record<string, unknown>;
      // Checked before the ledger sees its digest; stored once the ledger has accepted the type.
      const fieldsSchemaDigest = app.lc.schemas.check(fieldsSchema);
      try {
        const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, principal, 'registry:RegisterLicenseType', { ...type, fieldsSchemaDigest });
        await app.lc.schemas.put(fieldsSchema);
        return reply.code(201).send({ ...result, fieldsSchema, txId, blockNumber });
      } catch (error) {
        // Registered before, with this schema (e.g. the gateway stopped before storing it): keep it now.
        if (error instanceof EndorseError && error.code === 'CONFLICT') {
          const existing = await evaluate<{ fieldsSchemaDigest: string }>(principal, 'registry:GetLicenseType', type.typeCode as string).catch(() => undefined);
          if (existing?.fieldsSchemaDigest === fieldsSchemaDigest) await app.lc.schemas.put(fieldsSchema);
        }
        throw error;
      }
    },
  );

  app.get('/v1/license-types', { schema: { tags: ['registry'], summary: 'List license types, with their fields schemas' } }, async (request) => {
    const types = await evaluate<Array<{ fieldsSchemaDigest: string }>>(requirePrincipal(request), 'registry:ListLicenseTypes');
    return types.map((type) => ({ ...type, fieldsSchema: app.lc.schemas.get(type.fieldsSchemaDigest) ?? null }));
  });

  app.get(
    '/v1/license-types/:typeCode',
    { schema: { tags: ['registry'], summary: 'A license type, with its fields schema', params: TYPE_CODE_PARAMS } },
    async (request) => {
      const { typeCode } = request.params as { typeCode: string };
      const type = await evaluate<{ fieldsSchemaDigest: string }>(requirePrincipal(request), 'registry:GetLicenseType', typeCode);
      return { ...type, fieldsSchema: app.lc.schemas.get(type.fieldsSchemaDigest) ?? null };
    },
  );
}
