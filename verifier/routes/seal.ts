/**
 * Seal verification alone (public): a seal signature over content or a digest, every step of the
 * seal library reported on its own, then the ledger's side — the seal registered (备案) with this
 * seal digest and signer, and active at the signing time. Unreadable signature bytes are `400
 * SEAL_MALFORMED` here: the request itself is malformed.
 */
import type { FastifyInstance } from 'fastify';
import { parseDigest } from '../../domain/digest';
import { ProblemError } from '../../service/problem';
import { LedgerReader } from '../ledger-reader';
import { OPTIONAL_BEARER, publicRateLimit, readerFor } from '../public-access';
import { sameSm3, sealStateAt } from '../seal-check';
import { sealStepMessages } from '../seal-step-messages';

const BASE64 = { type: 'string', minLength: 4, maxLength: 1_400_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' } as const;

const CONTENT = { ...BASE64, description: 'the protected bytes, base64' } as const;
const DIGEST = { type: 'string', pattern: '^sm3:[0-9a-f]{64}$', description: 'or their SM3 digest' } as const;

const BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['signature'],
  // Exactly one of content and digest.
  oneOf: [
    { properties: { content: CONTENT }, required: ['content'] },
    { properties: { digest: DIGEST }, required: ['digest'] },
  ],
  properties: {
    signature: { ...BASE64, description: 'DER SES_Signature (GB/T 38540) or PKCS#7 SignedData, base64' },
    content: CONTENT,
    digest: DIGEST,
    sealId: { type: 'string', minLength: 1, maxLength: 128, description: 'the ledger seal id; default: the esID inside a GB/T 38540 seal' },
  },
} as const;

const STEP = {
  type: 'object',
  required: ['name', 'ok', 'code', 'message', 'messageEn'],
  properties: { name: { type: 'string' }, ok: { type: 'boolean' }, code: { type: 'string' }, message: { type: 'string' }, messageEn: { type: 'string' } },
} as const;

const ANSWER = {
  type: 'object',
  required: ['verified', 'format', 'signingTime', 'signer', 'sealId', 'checks'],
  properties: {
    verified: { type: 'boolean' },
    format: { type: 'string' },
    signingTime: { type: 'string' },
    signer: { type: 'object', properties: { subject: { type: 'string' }, fingerprint: { type: 'string' } } },
    sealId: { type: ['string', 'null'] },
    sealName: { type: ['string', 'null'] },
    checks: { type: 'array', items: STEP },
  },
} as const;

interface Step {
  name: string;
  ok: boolean;
  code: string;
  message: string;
  messageEn: string;
}

/** `POST /v1/verify/seal` (public). */
export async function sealRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/verify/seal',
    {
      config: { ...publicRateLimit(app), readOnly: true },
      schema: {
        tags: ['verify'],
        summary: 'Verify a seal signature (public)',
        security: OPTIONAL_BEARER,
        body: BODY,
        response: { 200: ANSWER, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const body = request.body as { signature: string; content?: string; digest?: string; sealId?: string };
      const input = body.content !== undefined ? { content: Buffer.from(body.content, 'base64') } : { digest: Buffer.from(parseDigest(body.digest as string).hex, 'hex') };
      const outcome = await app.verifier.signatures.verify(Buffer.from(body.signature, 'base64'), input);
      if (!outcome.readable) throw new ProblemError('SEAL_MALFORMED', outcome.message);
      const { verification } = outcome;
      const facts = verification.facts;
      const checks: Step[] = verification.checks.map((s) => ({ name: s.name, ok: s.ok, code: s.code, message: sealStepMessages(s.code), messageEn: s.message }));

      const reader = new LedgerReader(readerFor(app, request));
      const sealId = body.sealId ?? facts.seal?.esID ?? null;
      const seal = sealId === null ? undefined : await reader.seal(sealId);
      let registered: Step;
      if (!seal) {
        registered = step('LEDGER_REGISTERED', 'SEAL_NOT_REGISTERED', `链上未备案印章 ${sealId ?? '（未指明 sealId）'}`, sealId === null ? 'No sealId given, and a PKCS#7 signature does not name its seal' : `Seal ${sealId} is not registered on the ledger`);
      } else if (seal.format !== verification.format || (facts.seal && !sameSm3(seal.sealDigest, facts.seal.sealDigest))) {
        registered = step('LEDGER_REGISTERED', 'SEAL_NOT_REGISTERED', '签章所含印章与链上备案的印章不是同一枚', 'The seal in the signature is not the seal registered on the ledger');
      } else if (!seal.certFingerprints.some((fp) => sameSm3(fp, facts.signer.fingerprint))) {
        registered = step('LEDGER_REGISTERED', 'SIGNER_NOT_REGISTERED', '签章人证书不在印章备案的签章人之列', "The signer certificate is not among the seal's registered signers");
      } else {
        registered = step('LEDGER_REGISTERED', 'OK', `印章「${seal.name}」已在链上备案`, `Seal "${seal.name}" is registered on the ledger`);
      }
      checks.push(registered);
      if (seal && registered.ok) {
        const state = await sealStateAt(reader, seal.sealId, facts.signingTime);
        checks.push(
          state.active
            ? step('ACTIVE_AT_SIGNING', 'OK', `签章时（${state.at}）印章处于有效状态`, `The seal was active at signing time (${state.at})`)
            : step('ACTIVE_AT_SIGNING', 'SEAL_NOT_ACTIVE_AT_SIGNING', `签章时（${state.at}）印章状态为 ${state.status ?? '未备案'}`, `At signing time (${state.at}) the seal was ${state.status ?? 'not yet registered'}${state.withinValidity ? '' : ', outside its validity window'}`),
        );
      }
      return {
        verified: checks.every((c) => c.ok),
        format: verification.format,
        signingTime: facts.signingTime.toISOString(),
        signer: { subject: facts.signer.subject, fingerprint: `sm3:${facts.signer.fingerprint}` },
        sealId,
        sealName: seal?.name ?? null,
        checks,
      };
    },
  );
}

function step(name: string, code: string, message: string, messageEn: string): Step {
  return { name, ok: code === 'OK', code, message, messageEn };
}
