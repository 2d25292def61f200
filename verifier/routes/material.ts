/**
 * Material verification (bearer token): is this file — or this digest — a registered material,
 * in what state, disputed, kept by whom, since when. The file is streamed and hashed, never
 * stored; the answer carries no owner data (the response schema lets no other field out).
 */
import type { FastifyInstance } from 'fastify';
import { createDigester } from '../../domain/digest';
import { requirePrincipal } from '../../service/principal';
import { ProblemError } from '../../service/problem';
import { LedgerReader } from '../ledger-reader';
import { DIGEST_SCHEMA } from '../sealed-license-schema';

const ANSWER = {
  type: 'object',
  required: ['registered', 'digest', 'status', 'disputed', 'custodian', 'registeredAt'],
  properties: {
    registered: { type: 'boolean' },
    digest: { type: 'string' },
    materialId: { type: 'string' },
    /** ACTIVE | WITHDRAWN, null when not registered. */
    status: { type: ['string', 'null'] },
    disputed: { type: 'boolean' },
    /** MSP id of the custodian organisation. */
    custodian: { type: ['string', 'null'] },
    registeredAt: { type: ['string', 'null'] },
    kind: { type: 'string' },
    size: { type: 'integer' },
    mediaType: { type: 'string' },
  },
} as const;

/** `POST /v1/verify/material` (verifier token). */
export async function materialRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/verify/material',
    {
      // Authenticate before the body is validated or a byte of the file is read.
      preValidation: async (request) => void requirePrincipal(request),
      schema: {
        tags: ['verify'],
        summary: 'Is a file (multipart/form-data, field `file`) or a digest a registered material? (verifier)',
        body: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['digest'], properties: { digest: DIGEST_SCHEMA } } } } },
        response: { 200: ANSWER, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      let digest: string;
      if (request.isMultipart()) {
        const part = await request.file();
        if (!part || part.fieldname !== 'file') throw new ProblemError('VALIDATION_FAILED', 'send the file in a multipart field named "file"');
        const digester = createDigester('sm3');
        for await (const chunk of part.file) digester.update(chunk as Buffer);
        digest = digester.digest();
      } else {
        digest = (request.body as { digest: string }).digest;
      }
      const found = await new LedgerReader(principal).materialsByDigest(digest);
      // The same bytes may be registered for several owners: report an active one first.
      const material = found.find((m) => m.status === 'ACTIVE') ?? found[0];
      if (!material) return { registered: false, digest, status: null, disputed: false, custodian: null, registeredAt: null };
      return {
        registered: true,
        digest,
        materialId: material.materialId,
        status: material.status,
        disputed: material.flags.length > 0,
        custodian: material.custodianMsp,
        registeredAt: material.registeredAt,
        kind: material.kind,
        size: material.size,
        mediaType: material.mediaType,
      };
    },
  );
}
