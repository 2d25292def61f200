/**
 * License routes (api.md, Gateway "Licenses"): issue one or a batch, read with the document,
 * history, lifecycle transitions, new versions, and a holder's licenses with their version chains.
 * Who may do what is the chaincode's decision; the gateway validates, seals and stores.
 */
import type { FastifyInstance } from 'fastify';
import { parseLicenseIdentifier } from '../../domain/license-identifier';
import { holderRef } from '../../domain/holder-ref';
import { evaluate, submit } from '../../service/ledger-calls';
import { ProblemError } from '../../service/problem';
import { requirePrincipal } from '../../service/principal';
import { MAX_BATCH_REQUEST, issueBatch } from '../license-batch';
import {
  LICENSE_CHANGES_SCHEMA,
  LICENSE_INPUT_SCHEMA,
  issueLicense,
  issueNewVersion,
  type IssuedLicense,
  type LicenseInput,
  type NewVersionRequest,
} from '../license-issuance';
import { WRITE_ANSWER } from './record-schemas';

const PROBLEM = { $ref: 'Problem#' } as const;
const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

const IDENTIFIER_PARAMS = {
  type: 'object',
  required: ['identifier'],
  properties: { identifier: { type: 'string', minLength: 20, maxLength: 128, description: 'GB/T 36904 license identifier' } },
} as const;

const ISSUE_ANSWER = {
  type: 'object',
  required: ['identifier', 'version', 'digest', 'txId', 'blockNumber', 'document', 'qr', 'existing'],
  properties: {
    identifier: { type: 'string' },
    version: { type: 'integer' },
    digest: { type: 'string' },
    txId: { type: 'string' },
    blockNumber: { type: 'integer' },
    document: { type: 'object', additionalProperties: true, description: 'SealedLicense (domain/license-document.ts)' },
    qr: { type: 'string' },
    existing: { type: 'boolean', description: 'true: the license was already on the ledger (a retried request), status 200' },
  },
} as const;

const BATCH_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['licenses'],
  properties: {
    // Items are validated one by one by the service, so one bad license fails alone.
    licenses: { type: 'array', minItems: 1, maxItems: MAX_BATCH_REQUEST, items: { description: 'as the body of POST /v1/licenses' } },
  },
} as const;

const BATCH_ANSWER = {
  type: 'object',
  required: ['batchId', 'root', 'size', 'txIds', 'issued', 'failed', 'results'],
  properties: {
    batchId: { type: 'string' },
    root: { type: 'string', nullable: true },
    size: { type: 'integer' },
    txIds: { type: 'array', items: { type: 'string' } },
    issued: { type: 'integer' },
    failed: { type: 'integer' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index'],
        properties: { index: { type: 'integer' }, identifier: { type: 'string' }, error: { type: 'object', additionalProperties: true } },
      },
    },
  },
} as const;

const STATUS_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'reason'],
  properties: {
    action: { enum: ['suspend', 'resume', 'revoke', 'revoke-penalty', 'cancel', 'expire', 'transfer-out'] },
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
  },
} as const;

const VERSION_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['operation', 'changes', 'reason'],
  properties: {
    operation: { enum: ['renew', 'change', 'correct'] },
    changes: LICENSE_CHANGES_SCHEMA,
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
    disputeId: { type: 'string', pattern: ID },
  },
} as const;

const HOLDER_QUERY = {
  type: 'object',
  additionalProperties: false,
  required: ['codeType', 'code', 'purpose'],
  properties: {
    codeType: { type: 'string', pattern: '^[0-9]{3}$' },
    code: { type: 'string', minLength: 1, maxLength: 64 },
    purpose: { type: 'string', minLength: 1, maxLength: 200, description: '用证事由: why the lookup is made; logged with the caller' },
  },
} as const;

const BATCH_PARAMS = {
  type: 'object',
  required: ['batchId'],
  properties: { batchId: { type: 'string', pattern: ID } },
} as const;

interface LicenseRecord {
  identifier: string;
  holderRef: string | null;
}

interface HistoryEntry {
  txId: string;
  at: string;
  actorMsp: string | null;
  actorId: string | null;
  operation: string | null;
  status: string | null;
  reason: string | null;
  [more: string]: unknown;
}

function issued(reply: { code(n: number): { send(body: unknown): unknown } }, answer: IssuedLicense): unknown {
  return reply.code(answer.existing ? 200 : 201).send(answer);
}

export async function licenseRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/v1/licenses',
    { schema: { tags: ['licenses'], summary: 'Issue a license (issuer)', body: LICENSE_INPUT_SCHEMA, response: { 200: ISSUE_ANSWER, 201: ISSUE_ANSWER, '4xx': PROBLEM } } },
    async (request, reply) => issued(reply, await issueLicense(app, requirePrincipal(request), request.body as LicenseInput)),
  );

  app.post(
    '/v1/licenses/batch',
    {
      bodyLimit: 64 * 1024 * 1024,
      schema: { tags: ['licenses'], summary: `Issue up to ${MAX_BATCH_REQUEST} licenses under one batch seal (issuer)`, body: BATCH_BODY, response: { 200: BATCH_ANSWER, '4xx': PROBLEM } },
    },
    async (request) => issueBatch(app, requirePrincipal(request), (request.body as { licenses: unknown[] }).licenses),
  );

  app.get(
    '/v1/licenses/batch/:batchId',
    {
      schema: {
        tags: ['licenses'],
        summary: "A batch's progress: licenses recorded, per transaction",
        params: BATCH_PARAMS,
        querystring: { type: 'object', additionalProperties: false, properties: { issuer: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } } },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const { batchId } = request.params as { batchId: string };
      const { issuer } = request.query as { issuer?: string };
      return evaluate(principal, 'license:GetBatch', issuer ?? principal.mspId, batchId);
    },
  );

  app.get(
    '/v1/licenses/:identifier',
    { schema: { tags: ['licenses'], summary: 'A license: the sealed document and the ledger record (its issuer, the portal, admin)', params: IDENTIFIER_PARAMS } },
    async (request) => {
      const principal = requirePrincipal(request);
      const { identifier } = request.params as { identifier: string };
      parseLicenseIdentifier(identifier);
      const record = await evaluate<LicenseRecord>(principal, 'license:GetLicense', identifier);
      // The document names the holder: it goes only to readers the chaincode lets see the holder
      // reference (the issuing organisation, the portal, admin).
      if (record.holderRef === null) throw new ProblemError('FORBIDDEN', `${principal.mspId} may not read the document of license ${identifier}`);
      const stored = await app.lc.licenses.get(identifier);
      return { document: stored?.sealed ?? null, record };
    },
  );

  app.get(
    '/v1/licenses/:identifier/history',
    { schema: { tags: ['licenses'], summary: "A license's transitions, oldest first: who, when, what, why", params: IDENTIFIER_PARAMS } },
    async (request) => {
      const { identifier } = request.params as { identifier: string };
      const entries = await evaluate<HistoryEntry[]>(requirePrincipal(request), 'license:GetLicenseHistory', identifier);
      // The ledger answers newest first; a timeline reads oldest first.
      return entries.reverse().map(({ actorMsp, ...entry }) => ({ ...entry, actor: actorMsp }));
    },
  );

  app.post(
    '/v1/licenses/:identifier/status',
    { schema: { tags: ['licenses'], summary: 'Suspend, resume, revoke, cancel, expire or transfer out (its issuer)', params: IDENTIFIER_PARAMS, body: STATUS_BODY, response: { 200: WRITE_ANSWER, '4xx': PROBLEM } } },
    async (request) => {
      const { identifier } = request.params as { identifier: string };
      const body = request.body as { action: string; reason: string };
      const { result, txId, blockNumber } = await submit<Record<string, unknown>>(app, requirePrincipal(request), 'license:ChangeStatus', { identifier, ...body });
      return { ...result, txId, blockNumber };
    },
  );

  app.post(
    '/v1/licenses/:identifier/versions',
    { schema: { tags: ['licenses'], summary: 'Renew, change or correct: a new version, the old one superseded (its issuer)', params: IDENTIFIER_PARAMS, body: VERSION_BODY, response: { 200: ISSUE_ANSWER, 201: ISSUE_ANSWER, '4xx': PROBLEM } } },
    async (request, reply) => {
      const { identifier } = request.params as { identifier: string };
      return issued(reply, await issueNewVersion(app, requirePrincipal(request), identifier, request.body as NewVersionRequest));
    },
  );

  app.get(
    '/v1/holders/licenses',
    { schema: { tags: ['licenses'], summary: "A holder's licenses with their version chains (关联检索); purpose required and logged", querystring: HOLDER_QUERY } },
    async (request) => {
      const principal = requirePrincipal(request);
      const { codeType, code, purpose } = request.query as { codeType: string; code: string; purpose: string };
      const ref = holderRef(app.lc.options.holderKey, codeType, code);
      // The lookup of personal data is logged with its purpose and the caller — never the code.
      request.log.info({ caller: principal.name, org: principal.mspId, role: principal.role, purpose, codeType, holderRef: ref }, 'holder licenses lookup');
      const answer = await evaluate<{ holderRef: string; chains: Array<{ first: string; current: string; versions: LicenseRecord[] }> }>(principal, 'license:ListLicensesByHolder', ref);
      const chains = [];
      for (const chain of answer.chains) {
        const versions = [];
        for (const record of chain.versions) {
          const stored = record.holderRef === null ? undefined : await app.lc.licenses.get(record.identifier);
          versions.push({ record, document: stored?.sealed ?? null });
        }
        chains.push({ first: chain.first, current: chain.current, versions });
      }
      return { holderRef: answer.holderRef, purpose, chains };
    },
  );
}
