/**
 * Reuse without resubmission (复用免交, README flow 7; bearer token). The caller's own ledger
 * identity consumes a use of the holder's grant — the chaincode refuses a missing, expired,
 * revoked, exhausted or other organisation's grant with its own code, and writes the receipt in the
 * same transaction —, the custodian delivers the bytes, and the verifier releases them only after
 * their SM3 equals the ledger's. Bytes that do not match are never returned: the failure is logged
 * and answered `INTEGRITY_FAILED`.
 *
 * No `Idempotency-Key` replay here: each call is a recorded use, and the custodian delivers each
 * receipt once, so a retry is a new use with a new receipt.
 */
import type { FastifyInstance } from 'fastify';
import type { ReceiptRecord } from '../../chaincode/records';
import { parseDigest } from '../../domain/digest';
import { submit } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';
import { ProblemError } from '../../service/problem';
import { toProblemError } from '../../service/error-handler';
import { LedgerReader } from '../ledger-reader';
import { openDelivery } from '../material-source';

const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } as const;

const BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['materialId', 'grantId', 'purpose'],
  properties: {
    materialId: ID,
    grantId: ID,
    purpose: { type: 'string', minLength: 1, maxLength: 200, description: '用证事由: must be the purpose the grant was given for' },
  },
} as const;

/** RFC 9530 `Repr-Digest` of a ledger digest string (`sm3=:…:` or `sha-256=:…:`). */
export function reprDigest(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm === 'sha256' ? 'sha-256' : algorithm}=:${Buffer.from(hex, 'hex').toString('base64')}:`;
}

/** `POST /v1/reuse` (verifier token). */
export async function reuseRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/reuse',
    {
      preValidation: async (request) => void requirePrincipal(request),
      schema: {
        tags: ['reuse'],
        summary: 'Fetch a material under a grant (verifier): consumes a use, leaves a receipt',
        description: 'Answers the bytes with `X-Receipt-Id` and `Repr-Digest` (RFC 9530); bytes that do not match the ledger digest are never returned (502 INTEGRITY_FAILED).',
        body: BODY,
        response: {
          200: { description: 'the material bytes, in its media type', type: 'string', format: 'binary' },
          '4xx': { $ref: 'Problem#' },
          '5xx': { $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const { materialId, grantId, purpose } = request.body as { materialId: string; grantId: string; purpose: string };
      const { result: receipt, blockNumber } = await submit<ReceiptRecord>(app, principal, 'consent:UseMaterial', { grantId, materialId, purpose });
      const receiptHeaders = { 'x-receipt-id': receipt.receiptId };
      const log = request.log.child({ receiptId: receipt.receiptId, materialId, custodian: receipt.custodianMsp });

      const material = await new LedgerReader(principal).material(materialId);
      if (!material) throw new ProblemError('NOT_FOUND', `material ${materialId} does not exist`, { headers: receiptHeaders });
      let file;
      try {
        const delivery = await openDelivery(
          app.verifier.options.materialSource,
          { materialId, receiptId: receipt.receiptId, custodianMsp: receipt.custodianMsp, grantee: principal },
          app.verifier.options.deliveryTimeouts,
        );
        file = await app.verifier.downloads.receive(delivery.stream, { digest: receipt.digest, size: material.size });
      } catch (error) {
        const problem = toProblemError(error);
        if (problem.code === 'INTEGRITY_FAILED') {
          log.error({ integrity: problem.cause }, 'material bytes from the custodian do not match the ledger digest: refused');
          throw new ProblemError('INTEGRITY_FAILED', problem.message, { headers: receiptHeaders, cause: error });
        }
        const upstream = problem.status >= 500 ? 'UPSTREAM_UNAVAILABLE' : problem.code;
        log.error({ err: error, code: problem.code }, 'the custodian did not deliver the material');
        throw new ProblemError(upstream, `the custodian ${receipt.custodianMsp} did not deliver: ${problem.message}`, { headers: receiptHeaders, cause: error });
      }
      log.info({ size: file.size }, 'material delivered and verified');
      return reply
        .header('x-receipt-id', receipt.receiptId)
        .header('x-block-number', String(blockNumber))
        .header('repr-digest', reprDigest(receipt.digest))
        .header('content-type', material.mediaType)
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename="${materialId}"`)
        .header('cache-control', 'no-store')
        .send(file.open());
    },
  );
}
