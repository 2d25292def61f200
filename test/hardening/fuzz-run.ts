/**
 * A fuzz campaign against a running test system, shared by `fuzz.test.ts` and `bench/fuzz.ts`:
 * the operations from both services' `/openapi.json`, a dictionary of real ids from the
 * fixtures, one request at a time with a deadline, and after each the proof that a refused
 * request left nothing behind — the ledger height and every store (material files, sealed
 * documents, idempotent answers, pending resolutions, fields schemas, seal keys, the verifier's
 * deliveries) unchanged.
 */
import { readdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type { TestSystem } from '../support/system';
import type { Fixtures } from './fixtures';
import { type FuzzAnswer, type FuzzContext, type FuzzRequest, type Operation, answerCode, describeRequest, operationsOf, send, violation } from './fuzz-requests';

/** Longest a request may take before it counts as a hang. */
export const REQUEST_TIMEOUT_MS = 15_000;

export async function loadOperations(ts: TestSystem): Promise<Operation[]> {
  const read = async (base: string): Promise<Record<string, any>> => (await fetch(`${base}/openapi.json`)).json() as Promise<Record<string, any>>;
  return [...operationsOf('gateway', await read(ts.gatewayUrl)), ...operationsOf('verifier', await read(ts.verifierUrl as string))];
}

/** Real values by property or parameter name, so that requests reach past "not found". */
export function dictionaryOf(ts: TestSystem, fx: Fixtures): Record<string, unknown[]> {
  const sealed = fx.license.document as { document?: Record<string, unknown>; seal?: { signature?: string } };
  const principals = ts.system.principals.principals;
  const msps = [...new Set(principals.map((p) => p.mspId))];
  return {
    identifier: [fx.license.identifier],
    id: [fx.license.identifier, fx.material.materialId],
    digest: [fx.license.digest, fx.material.digest],
    materialId: [fx.material.materialId],
    replacement: [fx.material.materialId],
    grantId: [fx.grantId],
    receipt: [fx.receiptId],
    disputeId: [fx.disputeId],
    sealId: [fx.sealId],
    batchId: [fx.batchId],
    typeCode: [String(sealed.document?.typeCode ?? '')].filter(Boolean),
    codeType: [fx.license.holder.codeType, fx.material.holder.codeType],
    code: [fx.license.holder.code, fx.material.holder.code],
    holderCodeType: [fx.material.holder.codeType],
    holderCode: [fx.material.holder.code],
    grantee: msps,
    assignee: msps,
    issuer: msps,
    owner: msps,
    msp: msps,
    subject: principals.map((p) => p.identityId),
    number: ['0', '1', '2'],
    purpose: ['社保办理'],
    // A real sealed license and its seal signature: verification runs to the end.
    document: [fx.license.document],
    signature: [sealed.seal?.signature].filter(Boolean),
  };
}

/** What must not change while refused requests arrive. */
export interface StoreSnapshot {
  readonly ledgerHeight: number;
  readonly materialFiles: number;
  readonly deliveries: number;
  readonly licenses: number;
  readonly idempotentAnswers: number;
  readonly pendingResolutions: number;
  readonly fieldsSchemas: number;
  readonly sealFiles: number;
}

function fileCount(dir: string): number {
  try {
    return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean }>).filter((e) => e.isFile()).length;
  } catch {
    return 0;
  }
}

export async function snapshot(ts: TestSystem): Promise<StoreSnapshot> {
  const lc = ts.system.gateway.lc;
  return {
    ledgerHeight: ts.system.ledger.height,
    materialFiles: fileCount(join(ts.dataDir, 'gateway', 'materials')),
    deliveries: fileCount(join(ts.dataDir, 'verifier', 'deliveries')),
    licenses: await lc.licenses.count(),
    idempotentAnswers: await lc.idempotency.count(),
    pendingResolutions: (await lc.resolutions.list()).length,
    fieldsSchemas: fileCount(join(ts.dataDir, 'gateway', 'schemas')),
    sealFiles: fileCount(join(ts.dataDir, 'seals')),
  };
}

export function changes(before: StoreSnapshot, after: StoreSnapshot): string[] {
  return (Object.keys(before) as Array<keyof StoreSnapshot>).filter((k) => before[k] !== after[k]).map((k) => `${k} ${before[k]} → ${after[k]}`);
}

/** One request judged: its answer, and why it breaks the contract (if it does). */
export interface Outcome {
  readonly request: FuzzRequest;
  readonly answer: FuzzAnswer | undefined;
  readonly problem: string | undefined;
}

/** A client that sends requests one at a time and checks each answer and the stores after it. */
export class FuzzClient {
  readonly #ts: TestSystem;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  #last: StoreSnapshot | undefined;

  constructor(ts: TestSystem) {
    this.#ts = ts;
  }

  async run(request: FuzzRequest): Promise<Outcome> {
    this.#last ??= await snapshot(this.#ts);
    const base = request.service === 'gateway' ? this.#ts.gatewayUrl : (this.#ts.verifierUrl as string);
    let answer: FuzzAnswer | undefined;
    let problem: string | undefined;
    try {
      answer = await send(base, request, { timeoutMs: REQUEST_TIMEOUT_MS, agent: this.#agent });
      problem = violation(request, answer);
    } catch (error) {
      problem = `no answer: ${(error as Error).message}`;
    }
    const now = await snapshot(this.#ts);
    const changed = changes(this.#last, now);
    this.#last = now;
    if (!problem && changed.length > 0) problem = `left a trace: ${changed.join(', ')}`;
    return { request, answer, problem };
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A failure message: what was sent, what came back, why it is wrong. */
export function explain(outcome: Outcome): string {
  const body = outcome.answer ? ` → ${outcome.answer.status} ${outcome.answer.body.subarray(0, 300).toString('utf8')}` : '';
  return `${outcome.problem}: ${describeRequest(outcome.request)}${body}`;
}

/** Counts by answer (`400 VALIDATION_FAILED`) and by defect. */
export class Tally {
  readonly byAnswer = new Map<string, number>();
  readonly byDefect = new Map<string, number>();
  readonly failures: Outcome[] = [];

  add(outcome: Outcome): void {
    const key = outcome.answer ? `${outcome.answer.status} ${answerCode(outcome.answer)}` : 'no answer';
    this.byAnswer.set(key, (this.byAnswer.get(key) ?? 0) + 1);
    this.byDefect.set(outcome.request.defect, (this.byDefect.get(outcome.request.defect) ?? 0) + 1);
    if (outcome.problem) this.failures.push(outcome);
  }

  /** Lines sorted by count, for printing. */
  static lines(counts: ReadonlyMap<string, number>): string[] {
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${String(n).padStart(7)}  ${k}`);
  }
}

export type { FuzzContext };
