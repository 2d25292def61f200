/**
 * Resolving a dispute (README flow 8). `confirmed` is one transaction. `corrected` is two — the
 * correction (a new license version through `issueNewVersion`, or the withdrawal of a material),
 * then `dispute:Resolve` naming it — and no corrected license may stay with its dispute open. So:
 *
 * 1. the intent is written to the resolution outbox (durable) before the correction;
 * 2. after the correction, `dispute:Resolve` is tried a few times with backoff;
 * 3. if it still fails the intent stays in the outbox and {@link drainResolutions} finishes it —
 *    at the next start and periodically —, judging from the ledger whether the correction exists
 *    (resolve) or never happened (forget the intent) and whether the dispute is already closed.
 */
import type { FastifyInstance } from 'fastify';
import { nextVersionIdentifier } from '../domain/license-identifier';
import { evaluate, submit } from '../service/ledger-calls';
import type { Principal } from '../service/principal';
import { ProblemError } from '../service/problem';
import { issueNewVersion, type LicenseChanges } from './license-issuance';
import type { PendingResolution } from './resolution-outbox';

/** A dispute as the ledger returns it. */
export interface DisputeView {
  disputeId: string;
  subjectKind: 'license' | 'material';
  subjectId: string;
  status: 'SUBMITTED' | 'ACCEPTED' | 'REFUSED' | 'CORRECTED' | 'CONFIRMED';
  assigneeMsp: string | null;
  newVersion: string | null;
  [field: string]: unknown;
}

export interface ResolveRequest {
  readonly outcome: 'corrected' | 'confirmed';
  readonly note: string;
  /** Corrected license: the changes of the new version (as `issueNewVersion` takes them). */
  readonly changes?: LicenseChanges;
  /** Corrected material: an active material of the same owner that replaces it. */
  readonly replacement?: string;
}

/** The corrected version issued for a license dispute. */
export type Correction = Awaited<ReturnType<typeof issueNewVersion>>;

export type ResolveOutcome =
  | {
      readonly state: 'closed';
      readonly dispute: DisputeView;
      readonly txId: string;
      /** Absent only when an attempt whose answer was lost had closed the dispute. */
      readonly blockNumber?: number;
      readonly correction?: Correction;
    }
  | { readonly state: 'pending'; readonly disputeId: string; readonly correction?: Correction };

export interface RetryPolicy {
  /** Attempts of `dispute:Resolve` within the request (≥ 1). */
  readonly attempts: number;
  /** First pause; doubled after each failure. */
  readonly baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100 };

interface LicenseView {
  nextIdentifier: string | null;
}

interface MaterialView {
  status: string;
  ownerRef: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Disputes being resolved by a request right now: the background drain leaves them alone. */
const inFlight = new WeakMap<FastifyInstance, Set<string>>();

function busy(app: FastifyInstance): Set<string> {
  let set = inFlight.get(app);
  if (!set) inFlight.set(app, (set = new Set()));
  return set;
}

function closed(dispute: DisputeView): boolean {
  return dispute.status !== 'SUBMITTED' && dispute.status !== 'ACCEPTED';
}

interface Closing {
  readonly dispute: DisputeView;
  readonly txId: string;
  readonly blockNumber?: number;
}

/**
 * Submits the pending `dispute:Resolve` with bounded retries. Resolves to the closing
 * transaction, or to undefined when the attempts ran out (the intent then stays in the outbox).
 * A dispute found closed already (an earlier attempt whose answer was lost) counts as closed.
 * @throws ProblemError `DISPUTE_STATE` when it was closed otherwise meanwhile (intent dropped).
 */
async function submitResolution(app: FastifyInstance, principal: Principal, entry: PendingResolution, policy: RetryPolicy): Promise<Closing | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { result, txId, blockNumber } = await submit<DisputeView>(app, principal, 'dispute:Resolve', { ...entry.input });
      await app.lc.resolutions.delete(entry.disputeId);
      return { dispute: result, txId, blockNumber };
    } catch (error) {
      app.log.warn({ disputeId: entry.disputeId, attempt, err: error }, 'dispute resolution not recorded yet');
      // An earlier attempt may have committed although its answer was lost.
      const current = await evaluate<DisputeView>(principal, 'dispute:GetDispute', entry.disputeId).catch(() => undefined);
      if (current && closed(current)) {
        await app.lc.resolutions.delete(entry.disputeId);
        if (current.status === 'CORRECTED' && current.newVersion === (entry.input.newVersion ?? null)) {
          return { dispute: current, txId: (current.lastChange as { txId: string }).txId };
        }
        app.log.error({ disputeId: entry.disputeId, status: current.status }, 'dispute was closed otherwise while its correction was pending');
        throw new ProblemError('DISPUTE_STATE', `dispute ${entry.disputeId} was closed as ${current.status} meanwhile`);
      }
      if (attempt >= policy.attempts) return undefined;
      await sleep(policy.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** Checks, as far as the gateway can, that `principal` may resolve the dispute now (the chaincode decides again). */
async function openDispute(principal: Principal, disputeId: string): Promise<DisputeView> {
  const dispute = await evaluate<DisputeView>(principal, 'dispute:GetDispute', disputeId);
  if (dispute.assigneeMsp !== principal.mspId) throw new ProblemError('FORBIDDEN', `dispute ${disputeId} is not assigned to ${principal.mspId}`);
  if (dispute.status !== 'ACCEPTED') throw new ProblemError('DISPUTE_STATE', `dispute ${disputeId} is ${dispute.status}, not ACCEPTED`);
  return dispute;
}

/** Whether the correction an intent announces is on the ledger. */
async function correctionExists(principal: Principal, entry: PendingResolution): Promise<boolean> {
  if (entry.subject.kind === 'license') {
    const license = await evaluate<LicenseView>(principal, 'license:GetLicense', entry.subject.id);
    return license.nextIdentifier !== null && license.nextIdentifier === entry.input.newVersion;
  }
  const material = await evaluate<MaterialView>(principal, 'material:GetMaterial', entry.subject.id);
  return material.status === 'WITHDRAWN';
}

/**
 * Resolves dispute `disputeId` as `principal` (of the assignee organisation).
 * @returns `closed` with the closing transaction, or `pending` when the correction was made but
 * the dispute could not be closed yet (it will be, from the outbox).
 * @throws ProblemError / ledger errors when nothing was changed (wrong actor or state, refused
 * correction).
 */
export async function resolveDispute(
  app: FastifyInstance,
  principal: Principal,
  disputeId: string,
  request: ResolveRequest,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<ResolveOutcome> {
  if (request.outcome === 'confirmed') {
    if (request.changes !== undefined || request.replacement !== undefined) {
      throw new ProblemError('VALIDATION_FAILED', 'a confirmed dispute carries no changes or replacement');
    }
    const { result, txId, blockNumber } = await submit<DisputeView>(app, principal, 'dispute:Resolve', { disputeId, outcome: 'confirmed', note: request.note });
    return { state: 'closed', dispute: result, txId, blockNumber };
  }

  const dispute = await openDispute(principal, disputeId);
  const subject = { kind: dispute.subjectKind, id: dispute.subjectId };
  if (subject.kind === 'license' && request.changes === undefined) throw new ProblemError('VALIDATION_FAILED', 'a corrected license dispute needs changes');
  if (subject.kind === 'license' && request.replacement !== undefined) throw new ProblemError('VALIDATION_FAILED', 'replacement names a material; this dispute is about a license');
  if (subject.kind === 'material' && request.changes !== undefined) throw new ProblemError('VALIDATION_FAILED', 'changes apply to licenses; this dispute is about a material');

  const newVersion = subject.kind === 'license' ? nextVersionIdentifier(subject.id) : request.replacement;
  const entry: PendingResolution = {
    disputeId,
    principal: principal.name,
    subject,
    input: { disputeId, outcome: 'corrected', note: request.note, ...(newVersion !== undefined ? { newVersion } : {}) },
    since: new Date().toISOString(),
  };
  const running = busy(app);
  if (running.has(disputeId)) throw new ProblemError('CONFLICT', `dispute ${disputeId} is being resolved`);
  running.add(disputeId);
  try {
    await app.lc.resolutions.put(entry);
    let correction: Correction | undefined;
    try {
      if (subject.kind === 'license') {
        correction = await issueNewVersion(app, principal, subject.id, { operation: 'correct', changes: request.changes ?? {}, reason: request.note, disputeId });
      } else {
        await withdrawForCorrection(app, principal, subject.id, request.note);
      }
    } catch (error) {
      // Keep the intent only if the correction happened after all (e.g. its answer was lost).
      const happened = await correctionExists(principal, entry).catch(() => undefined);
      if (happened === false) await app.lc.resolutions.delete(disputeId);
      if (happened !== true) throw error;
    }
    const closing = await submitResolution(app, principal, entry, policy);
    if (!closing) return { state: 'pending', disputeId, ...(correction ? { correction } : {}) };
    return { state: 'closed', ...closing, ...(correction ? { correction } : {}) };
  } finally {
    running.delete(disputeId);
  }
}

/** Withdraws a disputed material kept by the principal's organisation (skipped when already withdrawn). */
async function withdrawForCorrection(app: FastifyInstance, principal: Principal, materialId: string, note: string): Promise<void> {
  const material = await evaluate<MaterialView>(principal, 'material:GetMaterial', materialId);
  if (material.status === 'WITHDRAWN') return;
  // The portal withdraws for the owner: as custodian resolving an accepted dispute it names the
  // owner the ledger records.
  const ownerRef = principal.role === 'portal' && material.ownerRef ? { ownerRef: material.ownerRef } : {};
  await submit(app, principal, 'material:WithdrawMaterial', { materialId, reason: note, ...ownerRef });
}

/** What one drain did. */
export interface DrainReport {
  readonly closed: number;
  readonly forgotten: number;
  readonly pending: number;
}

/**
 * Finishes the resolutions left in the outbox: closes disputes whose correction is on the
 * ledger, forgets intents whose correction never happened or whose dispute is closed already.
 * Runs at start and periodically; safe to run at any time.
 */
export async function drainResolutions(app: FastifyInstance, policy: RetryPolicy = { attempts: 1, baseDelayMs: 0 }): Promise<DrainReport> {
  let closedCount = 0;
  let forgotten = 0;
  let pending = 0;
  const running = busy(app);
  for (const entry of await app.lc.resolutions.list()) {
    if (running.has(entry.disputeId)) continue;
    const principal = app.lc.options.principals.principals.find((p) => p.name === entry.principal);
    if (!principal) {
      app.log.error({ disputeId: entry.disputeId, principal: entry.principal }, 'pending dispute resolution names an unknown principal');
      pending++;
      continue;
    }
    running.add(entry.disputeId);
    try {
      const dispute = await evaluate<DisputeView>(principal, 'dispute:GetDispute', entry.disputeId);
      if (closed(dispute)) {
        await app.lc.resolutions.delete(entry.disputeId);
        forgotten++;
        continue;
      }
      if (!(await correctionExists(principal, entry))) {
        app.log.info({ disputeId: entry.disputeId }, 'correction never reached the ledger; dispute left open');
        await app.lc.resolutions.delete(entry.disputeId);
        forgotten++;
        continue;
      }
      const closing = await submitResolution(app, principal, entry, policy);
      if (closing) {
        closedCount++;
        app.log.info({ disputeId: entry.disputeId }, 'pending dispute resolution recorded');
      } else {
        pending++;
      }
    } catch (error) {
      if (error instanceof ProblemError && error.code === 'DISPUTE_STATE') {
        forgotten++; // closed otherwise meanwhile: logged, intent dropped
      } else {
        app.log.warn({ disputeId: entry.disputeId, err: error }, 'pending dispute resolution still waiting');
        pending++;
      }
    } finally {
      running.delete(entry.disputeId);
    }
  }
  return { closed: closedCount, forgotten, pending };
}
