/**
 * License verification (public): a whole sealed license, or what its QR code carries. A malformed
 * document is `400 INVALID_DOCUMENT`, never a result; a ledger that cannot be reached is `503
 * LEDGER_UNAVAILABLE`, never "invalid".
 */
import type { FastifyInstance } from 'fastify';
import type { SealedLicense } from '../../domain/license-document';
import { isLicenseIdentifier } from '../../domain/license-identifier';
import { toProblemError } from '../../service/error-handler';
import { ProblemError } from '../../service/problem';
import { CHECK_CODES, CHECK_NAMES } from '../check-codes';
import { OPTIONAL_BEARER, publicRateLimit, readerFor } from '../public-access';
import { SEALED_LICENSE_SCHEMA, invalidDocument, recomputeDigest } from '../sealed-license-schema';

const CHECK_SCHEMA = {
  type: 'object',
  required: ['name', 'ok', 'code', 'message', 'messageEn'],
  properties: {
    name: { enum: [...CHECK_NAMES] },
    ok: { type: 'boolean' },
    code: { enum: Object.keys(CHECK_CODES) },
    message: { type: 'string' },
    messageEn: { type: 'string' },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

/** The answer of both routes. */
export const VERIFICATION_SCHEMA = {
  type: 'object',
  required: ['verified', 'identifier', 'blockHeight', 'cached', 'checkedAt', 'code', 'message', 'messageEn', 'checks'],
  properties: {
    verified: { type: 'boolean' },
    identifier: { type: 'string' },
    blockHeight: { type: 'integer', description: 'ledger height when the facts were read' },
    cached: { type: 'boolean', description: 'the facts came from the cache: read at blockHeight, and no ledger event has changed them since' },
    checkedAt: { type: 'string' },
    code: { type: 'string', description: 'OK, or the code of the first failing check' },
    message: { type: 'string' },
    messageEn: { type: 'string' },
    checks: { type: 'array', items: CHECK_SCHEMA },
  },
} as const;

const RESPONSES = { 200: VERIFICATION_SCHEMA, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } };

/** `POST /v1/verify/license` and `GET /v1/verify/license/:identifier` (public). */
export async function licenseRoutes(app: FastifyInstance): Promise<void> {
  app.addSchema(SEALED_LICENSE_SCHEMA);

  app.post(
    '/v1/verify/license',
    {
      // Validation errors are turned into INVALID_DOCUMENT below, not the generic VALIDATION_FAILED.
      attachValidation: true,
      config: { ...publicRateLimit(app), readOnly: true },
      schema: {
        tags: ['verify'],
        summary: 'Verify a sealed license (public)',
        description: 'Each check (integrity, status, validity, issuer, seal, dispute) reported on its own, in Chinese and English.',
        security: OPTIONAL_BEARER,
        body: { type: 'object', additionalProperties: false, required: ['document'], properties: { document: { $ref: 'SealedLicense#' } } },
        response: RESPONSES,
      },
    },
    async (request) => {
      if (request.validationError) {
        const problem = toProblemError(request.validationError);
        throw invalidDocument(`the license document is malformed: ${problem.message}`, problem.errors);
      }
      const sealed = (request.body as { document: SealedLicense }).document;
      const computed = recomputeDigest(sealed);
      return app.verifier.licenses.verifyDocument(readerFor(app, request), sealed, computed);
    },
  );

  app.get(
    '/v1/verify/license/:identifier',
    {
      config: publicRateLimit(app),
      schema: {
        tags: ['verify'],
        summary: 'Verify a license from its QR code: identifier and digest (public)',
        description: 'A browser (Accept: text/html) is redirected to the verification page, which shows the same result.',
        security: OPTIONAL_BEARER,
        params: { type: 'object', required: ['identifier'], properties: { identifier: { type: 'string', maxLength: 200 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['digest'],
          properties: { digest: { type: 'string', pattern: '^sm3:[0-9a-f]{64}$' } },
        },
        response: { ...RESPONSES, 303: { type: 'null', description: 'to the page, for a browser' } },
      },
    },
    async (request, reply) => {
      const { identifier } = request.params as { identifier: string };
      const { digest } = request.query as { digest: string };
      if (!isLicenseIdentifier(identifier)) throw new ProblemError('INVALID_IDENTIFIER', 'not a GB/T 36904 license identifier');
      if (prefersHtml(request.headers.accept)) {
        // A phone's camera app opens the QR URL in a browser: show the page, not JSON.
        const query = new URLSearchParams({ identifier, digest });
        return reply.code(303).header('location', `/verify?${query.toString()}`).send();
      }
      return app.verifier.licenses.verifyReference(readerFor(app, request), identifier, digest);
    },
  );
}

/** True when the Accept header ranks HTML above JSON (a browser navigation, not `fetch`). */
function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}
