/**
 * Material verification (bearer token): is this file — or this digest — a registered material,
 * in what state, disputed, kept by whom, since when. The file is streamed and hashed, never
 * stored; the answer carries no owner data (the response schema lets no other field out).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
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

/** The multipart body: one part, the file. */
const FILE_ONLY = { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } as const;

/**
 * The SM3 digest of the one part of a multipart body, which must be the file. Anything else — a
 * field, a second part, a part under another name — is refused, not ignored; what was not read is
 * drained so that the connection stays usable.
 */
async function digestOfUpload(request: FastifyRequest): Promise<string> {
  let digest: string | undefined;
  let current: Readable | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file' || part.fieldname !== 'file' || digest !== undefined) {
        if (part.type === 'file') current = part.file;
        throw new ProblemError('VALIDATION_FAILED', 'send exactly one multipart part: the file, named "file"', {
          errors: [{ field: `body/${part.fieldname}`, message: part.fieldname === 'file' ? 'must be sent once' : 'is not a known part' }],
        });
      }
      current = part.file;
      const digester = createDigester('sm3');
      for await (const chunk of part.file) digester.update(chunk as Buffer);
      digest = digester.digest();
    }
  } catch (error) {
    if (current && !current.readableEnded) {
      current.on('error', () => undefined);
      current.resume();
    }
    if (!request.raw.complete) request.raw.resume();
    throw error;
  }
  if (digest === undefined) throw new ProblemError('VALIDATION_FAILED', 'a multipart part named "file" is required', { errors: [{ field: 'body/file', message: 'is required' }] });
  return digest;
}

/** `POST /v1/verify/material` (verifier token). */
export async function materialRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/verify/material',
    {
      // Authenticate before the body is validated or a byte of the file is read.
      preValidation: async (request) => void requirePrincipal(request),
      config: { readOnly: true, multipart: FILE_ONLY },
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
        digest = await digestOfUpload(request);
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
