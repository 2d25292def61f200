/**
 * Retried requests (api.md "Idempotency"). The gateway stores its answer to an Idempotency-Key
 * after the transaction has committed; a gateway that stops in between (a crash, a kill) never
 * answers, and the client retries with the same key. Writes whose record is identified by the
 * natural data (a license by its number, a material by owner and bytes) recognise the retry by
 * themselves; records identified by the creating transaction's id (grants, disputes) would be
 * created a second time. For those the gateway sends `requestId` — its hash of principal, route
 * and key —, the first record's id is kept under [operation, caller's organisation, requestId],
 * and a retry answers that record instead of creating another one.
 */
import type { Context } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { OBJECT, getRecord, putRecord } from './state';

/** JSON Schema of `requestId`: the gateway's SHA-256 of the Idempotency-Key's scope. */
export const REQUEST_ID = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

/** The id of the record an earlier transaction created for this request, if any. */
export async function earlierRecord(ctx: Context, operation: string, callerMsp: string, requestId: string | undefined): Promise<string | undefined> {
  if (requestId === undefined) return undefined;
  return (await getRecord<{ id: string }>(ctx, OBJECT.request, [operation, callerMsp, requestId]))?.id;
}

/** Remembers that this request created record `id`. */
export async function rememberRecord(ctx: Context, operation: string, callerMsp: string, requestId: string | undefined, id: string): Promise<void> {
  if (requestId !== undefined) await putRecord(ctx, OBJECT.request, [operation, callerMsp, requestId], { id });
}

/** The refusal of a retried request whose content differs from the first one's. */
export function requestConflict(operation: string, id: string): CodedError {
  return new CodedError('IDEMPOTENCY_CONFLICT', `this request id already created ${operation} ${id} with different content`);
}
