/**
 * Dispute routes (api.md "Disputes"; README flow 8, standards.md §5): raise (portal for a
 * holder, a relying agency, the authority), accept — the subject is flagged for every reader — or
 * refuse (admin), extend once (admin), resolve (the assigned organisation) as corrected — a new
 * license version is issued and the dispute closed in one flow (dispute-resolution.ts) — or
 * confirmed; list and read.
 *
 * Corrections whose closing transaction could not be recorded wait in the resolution outbox; this
 * plugin finishes them when the gateway starts and every {@link DRAIN_INTERVAL_MS} afterwards.
 */
import type { FastifyInstance } from 'fastify';
import { evaluate, submit } from '../../service/ledger-calls';
import { requirePrincipal } from '../../service/principal';
import { drainResolutions, resolveDispute, type DisputeView } from '../dispute-resolution';
import { HOLDER_SCHEMA, holderRefOf, type HolderInput } from '../holder-input';
import { LICENSE_CHANGES_SCHEMA, type LicenseChanges } from '../license-issuance';
import { DISPUTE_SCHEMA, DISPUTE_WRITE_SCHEMA, ID_PATTERN, RESOLUTION_PENDING_SCHEMA, TEXT_PATTERN } from './record-schemas';

/** How often pending resolutions are retried while the gateway runs. */
export const DRAIN_INTERVAL_MS = 60_000;

const STATUSES = ['SUBMITTED', 'ACCEPTED', 'REFUSED', 'CORRECTED', 'CONFIRMED'] as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: TEXT_PATTERN }) as const;
const MSP = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const DIGEST = { type: 'string', pattern: '^(sm3|sha256):[0-9a-f]{64}$' } as const;

const RAISE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['subject', 'reason'],
  properties: {
    subject: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'id'],
      properties: { kind: { enum: ['license', 'material'] }, id: { type: 'string', minLength: 1, maxLength: 128 } },
    },
    reason: text(2000),
    evidence: { type: 'array', maxItems: 50, uniqueItems: true, items: DIGEST },
    holder: HOLDER_SCHEMA,
  },
} as const;

const ACCEPT_BODY = { type: 'object', additionalProperties: false, properties: { assignee: MSP, note: text(2000) } } as const;
const REASON_BODY = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: text(2000) } } as const;
const RESOLVE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['outcome', 'note'],
  properties: {
    outcome: { enum: ['corrected', 'confirmed'] },
    note: text(2000),
    /** Corrected license: the new version's changes (as POST /v1/licenses/:identifier/versions). */
    changes: LICENSE_CHANGES_SCHEMA,
    /** Corrected material: an active material of the same owner replacing the withdrawn one. */
    replacement: { type: 'string', pattern: ID_PATTERN },
  },
} as const;

const DISPUTE_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['disputeId'],
  properties: { disputeId: { type: 'string', pattern: ID_PATTERN } },
} as const;

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { enum: STATUSES }, overdue: { enum: ['true', 'false'] } },
} as const;

const WRITE_RESPONSES = { 200: DISPUTE_WRITE_SCHEMA, '4xx': { $ref: 'Problem#' } } as const;

function isOverdue(dispute: DisputeView, now: number): boolean {
  const due = dispute.dueAt;
  return dispute.status === 'ACCEPTED' && typeof due === 'string' && Date.parse(due) < now;
}

/** Registers the dispute routes on `app`, and the draining of pending resolutions at start and periodically. */
export async function disputeRoutes(app: FastifyInstance): Promise<void> {
  const drain = (): void => {
    drainResolutions(app).then(
      (report) => {
        if (report.closed + report.forgotten + report.pending > 0) app.log.info(report, 'pending dispute resolutions drained');
      },
      (error: unknown) => app.log.warn({ err: error }, 'pending dispute resolutions not drained'),
    );
  };
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    drain();
    timer = setInterval(drain, DRAIN_INTERVAL_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));

  app.post(
    '/v1/disputes',
    {
      schema: {
        tags: ['disputes'],
        summary: 'Raise a dispute on a license or material (portal, verifier, admin)',
        body: RAISE_BODY,
        response: { 201: DISPUTE_WRITE_SCHEMA, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const { holder, ...rest } = request.body as { holder?: HolderInput; subject: unknown; reason: string; evidence?: string[] };
      // With an Idempotency-Key, a retry after a lost answer gets the dispute it raised (chaincode/requests.ts).
      const requestId = request.idempotency?.key;
      const input = { ...rest, ...(holder !== undefined ? { holderRef: holderRefOf(app, holder) } : {}), ...(requestId ? { requestId } : {}) };
      const { result, txId, blockNumber } = await submit<DisputeView>(app, principal, 'dispute:Raise', input);
      return reply.code(201).send({ ...result, txId, blockNumber });
    },
  );

  const transition = (path: string, transaction: string, summary: string, body: Record<string, unknown>): void => {
    app.post(
      `/v1/disputes/:disputeId/${path}`,
      { schema: { tags: ['disputes'], summary, params: DISPUTE_PARAMS, body, response: WRITE_RESPONSES } },
      async (request) => {
        const { disputeId } = request.params as { disputeId: string };
        const { result, txId, blockNumber } = await submit<DisputeView>(app, requirePrincipal(request), transaction, {
          disputeId,
          ...(request.body as Record<string, unknown>),
        });
        return { ...result, txId, blockNumber };
      },
    );
  };
  transition('accept', 'dispute:Accept', 'Accept a dispute: flag its subject, route it (admin)', ACCEPT_BODY);
  transition('refuse', 'dispute:Refuse', 'Refuse a dispute at intake (admin)', REASON_BODY);
  transition('extend', 'dispute:Extend', 'Extend the due time once, to 10 working days (admin)', REASON_BODY);

  app.post(
    '/v1/disputes/:disputeId/resolve',
    {
      schema: {
        tags: ['disputes'],
        summary: 'Resolve a dispute as corrected (new version issued) or confirmed (assigned organisation)',
        description:
          '200 when closed. 202 when the correction was made but the closing transaction is still queued: the gateway records it as soon as the ledger accepts it (retried at start and periodically).',
        params: DISPUTE_PARAMS,
        body: RESOLVE_BODY,
        response: { ...WRITE_RESPONSES, 202: RESOLUTION_PENDING_SCHEMA },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const { disputeId } = request.params as { disputeId: string };
      const body = request.body as { outcome: 'corrected' | 'confirmed'; note: string; changes?: LicenseChanges; replacement?: string };
      const outcome = await resolveDispute(app, principal, disputeId, body);
      if (outcome.state === 'pending') {
        return reply.code(202).send({ disputeId, resolution: 'PENDING', ...(outcome.correction ? { correction: outcome.correction } : {}) });
      }
      const { dispute, txId, blockNumber, correction } = outcome;
      return { ...dispute, txId, ...(blockNumber !== undefined ? { blockNumber } : {}), ...(correction ? { correction } : {}) };
    },
  );

  app.get(
    '/v1/disputes',
    {
      schema: {
        tags: ['disputes'],
        summary: 'List disputes: admin and auditor all (by status, overdue); an issuer or the portal those assigned to it',
        querystring: LIST_QUERY,
        response: { 200: { type: 'array', items: DISPUTE_SCHEMA }, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const { status, overdue } = request.query as { status?: (typeof STATUSES)[number]; overdue?: 'true' | 'false' };
      const now = Date.now();
      let list: DisputeView[];
      if (principal.role === 'issuer' || principal.role === 'portal') {
        list = await evaluate<DisputeView[]>(principal, 'dispute:ListDisputesByAssignee', principal.mspId);
      } else if (overdue === 'true') {
        list = await evaluate<DisputeView[]>(principal, 'dispute:ListOverdueDisputes');
      } else if (status !== undefined) {
        list = await evaluate<DisputeView[]>(principal, 'dispute:ListDisputesByStatus', status);
      } else {
        list = (await Promise.all(STATUSES.map((s) => evaluate<DisputeView[]>(principal, 'dispute:ListDisputesByStatus', s)))).flat();
      }
      return list.filter(
        (d) => (status === undefined || d.status === status) && (overdue === undefined || isOverdue(d, now) === (overdue === 'true')),
      );
    },
  );

  app.get(
    '/v1/disputes/:disputeId',
    { schema: { tags: ['disputes'], summary: 'A dispute', params: DISPUTE_PARAMS, response: { 200: DISPUTE_SCHEMA, '4xx': { $ref: 'Problem#' } } } },
    async (request) => {
      const { disputeId } = request.params as { disputeId: string };
      return evaluate(requirePrincipal(request), 'dispute:GetDispute', disputeId);
    },
  );
}
