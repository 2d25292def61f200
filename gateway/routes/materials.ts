/**
 * Material routes (api.md "Materials and consent"; README flows 5 and 7): upload and register a
 * material (portal for applicants, issuer for what it produces), read its ledger record, and the
 * custodian's one-time delivery of its bytes to the organisation named on a receipt.
 *
 * Idempotency-Key on uploads: the fingerprint is computed after the upload was read — holder
 * reference, kind, case number, file digest and size — so a retry with the same key and the same
 * file replays the first answer, and the same key with another file or other fields is
 * `IDEMPOTENCY_CONFLICT` (service/idempotency.ts, mode `handler`).
 *
 * The delivery route is the one route another organisation calls without a token of this
 * gateway: it accepts a request signed with that organisation's X.509 identity (RFC 9421,
 * service/request-signature.ts) as well as a bearer token.
 */
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EndorseError, CommitError } from '../../ledger/errors';
import { settleIdempotency } from '../../service/idempotency';
import { evaluate, submit } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';
import { ProblemError } from '../../service/problem';
import { SignedRequestVerifier } from '../../service/signed-request-verifier';
import { holderRefOf } from '../holder-input';
import { KeyedLock } from '../keyed-lock';
import { openMaterialDelivery, type DeliveryRequester } from '../material-delivery';
import { UPLOAD_DOCUMENT_SCHEMA, readMaterialUpload, uploadLimits } from '../material-upload';
import { ID_PATTERN, MATERIAL_SCHEMA, MATERIAL_WRITE_SCHEMA } from './record-schemas';

const MATERIAL_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['materialId'],
  properties: { materialId: { type: 'string', pattern: ID_PATTERN } },
} as const;

/** Roles that may register materials (the chaincode decides again). */
const UPLOADERS = new Set(['portal', 'issuer']);

interface MaterialResult {
  created: boolean;
  material: Record<string, unknown>;
}

/** The caller of the delivery route: a principal by its bearer token, else the signer of the request. */
async function deliveryRequester(app: FastifyInstance, request: FastifyRequest): Promise<DeliveryRequester> {
  if (request.principal) return request.principal;
  if (!SignedRequestVerifier.isSigned(request)) throw new ProblemError('UNAUTHENTICATED', 'send Authorization: Bearer <token>, or sign the request with your organisation\'s identity (RFC 9421)');
  if (!app.lc.signedRequests) throw new ProblemError('UNAUTHENTICATED', 'this gateway accepts bearer tokens only');
  return app.lc.signedRequests.verify(request);
}

/** Registers the material routes (and multipart parsing for them) on `app`. */
export async function materialRoutes(app: FastifyInstance): Promise<void> {
  const { maxUploadBytes } = app.lc.options;
  await app.register(multipart, { limits: uploadLimits(maxUploadBytes) });
  const store = app.lc.materials;
  const sameBytes = new KeyedLock();

  app.post(
    '/v1/materials',
    {
      config: { idempotencyFingerprint: 'handler', multipart: UPLOAD_DOCUMENT_SCHEMA },
      schema: {
        tags: ['materials'],
        summary: 'Upload and register a material (portal, issuer)',
        description:
          'multipart/form-data: holderCodeType, holderCode, kind, caseNo? — then one part `file`. 201 for a new material; 200 with the existing one when the same owner registered the same bytes before.',
        consumes: ['multipart/form-data'],
        response: { 200: MATERIAL_WRITE_SCHEMA, 201: MATERIAL_WRITE_SCHEMA, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      // Refuse before reading a possibly large body (the unread body is discarded by Node).
      if (!UPLOADERS.has(principal.role)) throw new ProblemError('FORBIDDEN', `role ${principal.role} may not register materials`);
      let ownerRef = '';
      const upload = await readMaterialUpload(request, store, maxUploadBytes, (fields) => {
        ownerRef = holderRefOf(app, { codeType: fields.holderCodeType, code: fields.holderCode });
      });
      const { fields, staged, mediaType } = upload;
      const identity = { ownerRef, kind: fields.kind, caseNo: fields.caseNo ?? null, digest: staged.digest, size: staged.size };
      let replayed: boolean;
      try {
        replayed = settleIdempotency(request, reply, identity);
      } catch (error) {
        await staged.discard();
        throw error;
      }
      if (replayed) {
        await staged.discard();
        return reply;
      }
      const registered = await sameBytes.run(staged.digest, async () => {
        const blob = await staged.commit();
        try {
          return await submit<MaterialResult>(app, principal, 'material:RegisterMaterial', {
            materialId: `mat-${randomUUID()}`,
            ownerRef,
            kind: fields.kind,
            digest: blob.digest,
            size: blob.size,
            mediaType,
            ...(fields.caseNo !== undefined ? { caseNo: fields.caseNo } : {}),
          });
        } catch (error) {
          // Only a definite refusal proves nothing was registered; after a timeout the
          // registration may still commit, so the bytes stay.
          if (blob.created && (error instanceof EndorseError || error instanceof CommitError)) await store.remove(blob.digest);
          throw error;
        }
      });
      const { result, txId, blockNumber } = registered;
      return reply.code(result.created ? 201 : 200).send({ ...result.material, created: result.created, txId, blockNumber });
    },
  );

  app.get(
    '/v1/materials/:materialId',
    { schema: { tags: ['materials'], summary: 'A material\'s ledger record (no bytes)', params: MATERIAL_PARAMS, response: { 200: MATERIAL_SCHEMA, '4xx': { $ref: 'Problem#' } } } },
    async (request) => {
      const { materialId } = request.params as { materialId: string };
      return evaluate(requirePrincipal(request), 'material:GetMaterial', materialId);
    },
  );

  app.get(
    '/v1/materials/:materialId/content',
    {
      // A HEAD would record the one delivery without handing over the bytes.
      exposeHeadRoute: false,
      schema: {
        tags: ['materials'],
        summary: 'Custodian delivery of a material\'s bytes to the organisation named on a receipt, once',
        description:
          'Streams the bytes (Content-Type: the recorded media type; Repr-Digest: SM3). The caller must be the receipt\'s grantee organisation (role verifier or issuer), authenticated by a bearer token of this gateway or, from another organisation, by an RFC 9421 signature with its X.509 identity: headers `LC-Msp-Id`, `LC-Certificate` (base64 DER), `Signature-Input: lc=("@method" "@path" "@query" "lc-msp-id" "lc-certificate");created;nonce;keyid;alg="ecdsa-p256-sha256";tag="licensechain"` and `Signature`. Refusals: 401 SIGNATURE_INVALID, SIGNATURE_EXPIRED (created older than 5 min or ahead by more than 30 s), SIGNATURE_REPLAYED, IDENTITY_UNTRUSTED.',
        params: MATERIAL_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['receipt'],
          properties: { receipt: { type: 'string', pattern: ID_PATTERN } },
        },
        response: { '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const requester = await deliveryRequester(app, request);
      const { materialId } = request.params as { materialId: string };
      const { receipt } = request.query as { receipt: string };
      const delivery = await openMaterialDelivery(app, requester, materialId, receipt);
      const hex = delivery.digest.slice(delivery.digest.indexOf(':') + 1);
      return reply
        .header('content-type', delivery.mediaType)
        .header('content-length', delivery.size)
        .header('repr-digest', `sm3=:${Buffer.from(hex, 'hex').toString('base64')}:`)
        .header('x-receipt-id', delivery.receiptId)
        .header('x-delivery-tx-id', delivery.deliveryTxId)
        .header('cache-control', 'no-store')
        .send(delivery.stream);
    },
  );
}
