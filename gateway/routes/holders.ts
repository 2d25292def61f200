/**
 * A holder's feed (api.md: `GET /v1/holders/materials|grants|receipts|disputes?codeType=&code=`):
 * what the ledger holds about one holder — the materials they registered, the grants they gave,
 * the receipts of every use of their materials (who, what, purpose, when), and the disputes raised
 * for them with their outcome. Read by the portal for the holder it serves (and by admins); the
 * chaincode decides who may list. The holder code travels in the query, which is never logged; an
 * optional `purpose` (用证事由) is logged with the request.
 */
import type { FastifyInstance } from 'fastify';
import { evaluate } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';
import { HOLDER_QUERY_PROPERTIES, holderRefOf } from '../holder-input';
import { DISPUTE_SCHEMA, GRANT_SCHEMA, MATERIAL_SCHEMA, RECEIPT_SCHEMA, TEXT_PATTERN } from './record-schemas';

const FEEDS = {
  materials: { transaction: 'material:ListMaterialsByOwner', item: MATERIAL_SCHEMA },
  grants: { transaction: 'consent:ListGrantsByOwner', item: GRANT_SCHEMA },
  receipts: { transaction: 'consent:ListReceiptsByOwner', item: RECEIPT_SCHEMA },
  disputes: { transaction: 'dispute:ListDisputesByHolder', item: DISPUTE_SCHEMA },
} as const;

const FEED_QUERY = {
  type: 'object',
  additionalProperties: false,
  required: ['codeType', 'code'],
  properties: { ...HOLDER_QUERY_PROPERTIES, purpose: { type: 'string', minLength: 1, maxLength: 200, pattern: TEXT_PATTERN } },
} as const;

/** Registers the holder feed routes on `app`. */
export async function holderRoutes(app: FastifyInstance): Promise<void> {
  for (const [feed, { transaction, item }] of Object.entries(FEEDS)) {
    app.get(
      `/v1/holders/${feed}`,
      {
        schema: {
          tags: ['holders'],
          summary: `A holder's ${feed} (portal, admin)`,
          querystring: FEED_QUERY,
          response: { 200: { type: 'array', items: item }, '4xx': { $ref: 'Problem#' } },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        const { codeType, code, purpose } = request.query as { codeType: string; code: string; purpose?: string };
        const ref = holderRefOf(app, { codeType, code });
        if (purpose !== undefined) request.log.info({ feed, purpose, principal: principal.name }, 'holder feed read');
        return evaluate(principal, transaction, ref);
      },
    );
  }
}
