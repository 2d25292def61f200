/**
 * Calls on the chaincode as a principal, for route handlers: arguments that are objects go as
 * canonical JSON (the chaincode validates them again), answers come back parsed, every call has a
 * deadline (a ledger that hangs is `LEDGER_UNAVAILABLE`, never a hung request), and submits are
 * timed in the service's metrics.
 */
import type { FastifyInstance } from 'fastify';
import { canonicalJson } from '../domain/canonical-json';
import { LedgerUnavailableError } from '../ledger/errors';
import type { Principal } from './principal';

export type LedgerArgument = string | Record<string, unknown> | readonly unknown[];

export interface Submitted<T> {
  readonly result: T;
  readonly txId: string;
  readonly blockNumber: number;
}

export const LEDGER_DEADLINE_MS = 30_000;

function encode(args: readonly LedgerArgument[]): string[] {
  return args.map((arg) => (typeof arg === 'string' ? arg : canonicalJson(arg)));
}

function decode<T>(bytes: Uint8Array): T {
  const text = Buffer.from(bytes).toString('utf8');
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/**
 * `promise`, or `LEDGER_UNAVAILABLE` after `ms`: for every call on the ledger, including the reads
 * that bypass the chaincode (`info`, `getBlock`, `getTransaction`).
 */
export function withLedgerDeadline<T>(promise: Promise<T>, what: string, ms = LEDGER_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LedgerUnavailableError(`${what}: no answer from the ledger within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Submits `transaction` (e.g. `license:Issue`) as `principal`; resolves once committed. */
export async function submit<T>(app: FastifyInstance, principal: Principal, transaction: string, ...args: LedgerArgument[]): Promise<Submitted<T>> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    const submitted = await withLedgerDeadline(principal.contract.submit(transaction, { arguments: encode(args) }), transaction);
    return { result: decode<T>(submitted.result), txId: submitted.transactionId, blockNumber: submitted.blockNumber };
  } catch (error) {
    outcome = (error as { code?: string }).code ?? 'error';
    throw error;
  } finally {
    app.metrics?.ledgerSubmits.observe({ transaction, outcome }, (performance.now() - started) / 1000);
  }
}

/** Evaluates a query as `principal`. */
export async function evaluate<T>(principal: Principal, transaction: string, ...args: LedgerArgument[]): Promise<T> {
  return decode<T>(await withLedgerDeadline(principal.contract.evaluate(transaction, { arguments: encode(args) }), transaction));
}
