/**
 * Seal routes (api.md, Gateway "Seals"; README flow 9): apply → approve (备案) → authorise signers →
 * suspend / resume / cancel. The chaincode decides who may do each step.
 *
 * Registering a seal the gateway signs with: `POST /v1/seals` without `signerCertificates`. The
 * keyring then generates the signer key (SM2 for GBT38540, RSA for PKCS7), certifies it with the
 * organisation's seal CA (made on first use; its root goes to the verifier's trust folder), makes
 * the seal with the organisation's seal maker (GB/T 38540) or its descriptor (PKCS#7), and keeps
 * key and certificate in `<dataDir>/seals/<mspId>/` (0600) once the ledger has accepted the
 * application. With `signerCertificates` (base64 DER or PEM), the seal lists exactly those and the
 * gateway holds no key: signing then happens outside this gateway (a device or signing server), and
 * the gateway never picks that seal for issuance.
 */
import type { FastifyInstance } from 'fastify';
import { fromPem, toPem } from '../../seal';
import { evaluate, submit } from '../../service/ledger-calls';
import { ProblemError } from '../../service/problem';
import { requirePrincipal } from '../../service/principal';
import { SealKeyring } from '../seal-keyring';
import { WRITE_ANSWER } from './record-schemas';

const PROBLEM = { $ref: 'Problem#' } as const;
const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const TIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$';
const SUBJECT = { type: 'string', minLength: 8, maxLength: 1024, pattern: '^x509::', description: 'the signer identity (ClientIdentity.getID() form)' } as const;
const REASON = { type: 'string', minLength: 1, maxLength: 1000 } as const;
/** A seal picture of up to 1 MiB. */
const MAX_PICTURE_BASE64 = Math.ceil((1024 * 1024) / 3) * 4;

const SEAL_PARAMS = { type: 'object', required: ['sealId'], properties: { sealId: { type: 'string', pattern: ID } } } as const;

const APPLY_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind', 'format', 'validStart', 'validEnd', 'picture'],
  properties: {
    sealId: { type: 'string', pattern: ID, description: 'default: generated' },
    name: { type: 'string', minLength: 1, maxLength: 200, description: '印章名称' },
    kind: { type: 'string', minLength: 1, maxLength: 64, description: '法定名称章, 业务专用章, …' },
    format: { enum: ['GBT38540', 'PKCS7'] },
    validStart: { type: 'string', pattern: TIME },
    validEnd: { type: 'string', pattern: TIME },
    picture: { type: 'string', minLength: 8, maxLength: MAX_PICTURE_BASE64, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'PNG, base64' },
    pictureMm: { type: 'integer', minimum: 10, maximum: 100, description: 'printed size in millimetres (default 40)' },
    signerCertificates: {
      type: 'array',
      maxItems: 32,
      items: { type: 'string', minLength: 16, maxLength: 16384 },
      description: 'base64 DER or PEM; absent or empty: the keyring generates and holds the signer key',
    },
  },
} as const;

const AUTHORIZE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['subject', 'notBefore', 'notAfter'],
  properties: { subject: SUBJECT, notBefore: { type: 'string', pattern: TIME }, notAfter: { type: 'string', pattern: TIME } },
} as const;

const REVOKE_BODY = { type: 'object', additionalProperties: false, required: ['subject', 'reason'], properties: { subject: SUBJECT, reason: REASON } } as const;

const STATUS_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'reason'],
  properties: { action: { enum: ['suspend', 'resume', 'cancel'] }, reason: REASON },
} as const;

function certificateDer(text: string, index: number): Uint8Array {
  const pem = fromPem(text, 'CERTIFICATE');
  if (pem.length === 1) return pem[0] as Uint8Array;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  throw new ProblemError('VALIDATION_FAILED', `signerCertificates/${index} is neither base64 DER nor one PEM certificate`, {
    errors: [{ field: `body/signerCertificates/${index}`, message: 'must be base64 DER or one PEM certificate' }],
  });
}

function time(text: string, field: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new ProblemError('VALIDATION_FAILED', `${field} is not a valid time`, { errors: [{ field: `body/${field}`, message: 'is not a valid time' }] });
  return date;
}

export async function sealRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/seals',
    { bodyLimit: 2 * 1024 * 1024, schema: { tags: ['seals'], summary: 'Apply for a seal (issuer): APPLIED', body: APPLY_BODY, response: { 201: WRITE_ANSWER, '4xx': PROBLEM } } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const body = request.body as {
        sealId?: string;
        name: string;
        kind: string;
        format: 'GBT38540' | 'PKCS7';
        validStart: string;
        validEnd: string;
        picture: string;
        pictureMm?: number;
        signerCertificates?: string[];
      };
      const org = await evaluate<{ name: string }>(principal, 'registry:GetOrganisation', principal.mspId);
      // Made in memory; written only once the ledger has accepted the application.
      const prepared = await app.lc.keyring.prepare({
        ownerMsp: principal.mspId,
        orgName: org.name,
        ...(body.sealId !== undefined ? { sealId: body.sealId } : {}),
        name: body.name,
        kind: body.kind,
        format: body.format,
        validStart: time(body.validStart, 'validStart'),
        validEnd: time(body.validEnd, 'validEnd'),
        picture: new Uint8Array(Buffer.from(body.picture, 'base64')),
        ...(body.pictureMm !== undefined ? { pictureMm: body.pictureMm } : {}),
        signerCertificates: (body.signerCertificates ?? []).map(certificateDer),
      });
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, principal, 'seal:Apply', SealKeyring.applyInput(prepared.seal));
      const seal = await app.lc.keyring.commit(prepared);
      return reply.code(201).send({
        ...result,
        heldByGateway: seal.signer !== undefined,
        signerCertificates: seal.signerCertificates.map((der) => toPem('CERTIFICATE', der)),
        seal: Buffer.from(seal.sealBytes).toString('base64'),
        txId,
        blockNumber,
      });
    },
  );

  app.get(
    '/v1/seals',
    {
      schema: {
        tags: ['seals'],
        summary: "An organisation's seals",
        querystring: { type: 'object', additionalProperties: false, properties: { owner: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } } },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const { owner } = request.query as { owner?: string };
      return evaluate(principal, 'seal:ListSealsByOwner', owner ?? principal.mspId);
    },
  );

  app.get('/v1/seals/:sealId', { schema: { tags: ['seals'], summary: 'A seal: its record and state history', params: SEAL_PARAMS } }, async (request) => {
    const { sealId } = request.params as { sealId: string };
    const record = await evaluate<Record<string, unknown>>(requirePrincipal(request), 'seal:GetSeal', sealId);
    const held = app.lc.keyring.get(sealId);
    return {
      ...record,
      heldByGateway: held?.signer !== undefined,
      ...(held ? { signerCertificates: held.signerCertificates.map((der) => toPem('CERTIFICATE', der)), seal: Buffer.from(held.sealBytes).toString('base64') } : {}),
    };
  });

  app.post(
    '/v1/seals/:sealId/approve',
    { schema: { tags: ['seals'], summary: 'Approve (备案) a seal (admin): ACTIVE', params: SEAL_PARAMS, response: { 200: WRITE_ANSWER, '4xx': PROBLEM } } },
    async (request) => {
      const { sealId } = request.params as { sealId: string };
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, requirePrincipal(request), 'seal:Approve', sealId);
      return { ...result, txId, blockNumber };
    },
  );

  app.post(
    '/v1/seals/:sealId/authorizations',
    { schema: { tags: ['seals'], summary: 'Authorise an identity to sign with the seal, for a window (seal owner)', params: SEAL_PARAMS, body: AUTHORIZE_BODY, response: { 201: WRITE_ANSWER, '4xx': PROBLEM } } },
    async (request, reply) => {
      const { sealId } = request.params as { sealId: string };
      const body = request.body as Record<string, string>;
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, requirePrincipal(request), 'seal:Authorize', { sealId, ...body });
      return reply.code(201).send({ ...result, txId, blockNumber });
    },
  );

  app.post(
    '/v1/seals/:sealId/authorizations/revoke',
    { schema: { tags: ['seals'], summary: "End an identity's authorisation from now on (seal owner)", params: SEAL_PARAMS, body: REVOKE_BODY, response: { 200: WRITE_ANSWER, '4xx': PROBLEM } } },
    async (request) => {
      const { sealId } = request.params as { sealId: string };
      const body = request.body as Record<string, string>;
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, requirePrincipal(request), 'seal:RevokeAuthorization', { sealId, ...body });
      return { ...result, txId, blockNumber };
    },
  );

  app.post(
    '/v1/seals/:sealId/status',
    { schema: { tags: ['seals'], summary: 'Suspend, resume or cancel (注销) a seal (owner or admin)', params: SEAL_PARAMS, body: STATUS_BODY, response: { 200: WRITE_ANSWER, '4xx': PROBLEM } } },
    async (request) => {
      const { sealId } = request.params as { sealId: string };
      const body = request.body as Record<string, string>;
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, requirePrincipal(request), 'seal:ChangeStatus', { sealId, ...body });
      return { ...result, txId, blockNumber };
    },
  );
}
