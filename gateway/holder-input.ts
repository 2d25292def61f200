/**
 * Holders as clients name them — `{ codeType, code }` in a body, or `?codeType=&code=` in a
 * query — and as the ledger knows them: a holder reference keyed with the gateway's secret. The
 * code is checked (GB/T 36903 type, USCC / citizen-ID check characters) when the reference is
 * computed; a bad one is `INVALID_HOLDER_CODE`.
 */
import type { FastifyInstance } from 'fastify';
import { holderRef } from '../domain/holder-ref';

/** JSON Schema of `{ codeType, code }`. */
export const HOLDER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['codeType', 'code'],
  properties: {
    codeType: { type: 'string', pattern: '^[0-9]{3}$' },
    code: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

/** The same as query-string properties (values are strings; nothing is coerced). */
export const HOLDER_QUERY_PROPERTIES = HOLDER_SCHEMA.properties;

export interface HolderInput {
  readonly codeType: string;
  readonly code: string;
}

/** The holder reference of `holder` under this gateway's consortium key. */
export function holderRefOf(app: FastifyInstance, holder: HolderInput): string {
  return holderRef(app.lc.options.holderKey, holder.codeType, holder.code);
}
