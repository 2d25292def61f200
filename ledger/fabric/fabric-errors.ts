/**
 * fabric-gateway's errors, mapped to the ledger errors of `../errors.ts` so that a caller cannot
 * tell a Fabric refusal from the embedded ledger's refusal of the same call.
 *
 * What the Fabric gateway service (peer, internal/pkg/gateway) sends back, by case:
 * - the chaincode refused (status ≥ 400 with a response payload): Evaluate → gRPC UNKNOWN
 *   "evaluate call to endorser returned error: chaincode response 500, <message>"; Endorse →
 *   ABORTED "failed to endorse transaction, see attached details for more info". In both the
 *   endorser's own text is in `details[].message` ("chaincode response 500, [CODE] text"), which is
 *   where the `[CODE]` is recovered from — never from `message` alone;
 * - the peer refused the proposal before running the chaincode (creator not a member, bad
 *   signature, ACL): FAILED_PRECONDITION or ABORTED with "access denied: …" in the details → the
 *   embedded ledger's `FORBIDDEN`; "make sure the chaincode … has been successfully defined" →
 *   `BAD_PROPOSAL` (but an unknown chaincode name usually fails earlier, in the gateway's
 *   discovery: FAILED_PRECONDITION "no peers available to evaluate chaincode …", which cannot be
 *   told from peers being down and so is `LedgerUnavailableError`);
 * - the peer could not run the chaincode (chaincode server down, stream terminated, execution
 *   timeout), no endorser or orderer could be reached, or a deadline passed: UNAVAILABLE,
 *   DEADLINE_EXCEEDED, or the details say so → `LedgerUnavailableError`;
 * - the gateway's own ACLs (commit status, chaincode events): PERMISSION_DENIED → `FORBIDDEN`.
 * After endorsement, any failure to order (SubmitError) or to learn the commit status
 * (CommitStatusError) is `LedgerUnavailableError`: the outcome is unknown, as with the embedded
 * ledger's commit timeout.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { parseCodedMessage } from '../../domain/coded-error';
import { CommitError, EndorseError, LedgerError, LedgerUnavailableError } from '../errors';

/** The call that failed, for the default when the error itself says too little. */
export type FabricStep = 'evaluate' | 'endorse' | 'submit' | 'commitStatus' | 'events' | 'query';

/** fabric-gateway's `ErrorDetail`. */
export interface FabricErrorDetail {
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

/** The shape of fabric-gateway's `GatewayError` and its subclasses (duck-typed: no instanceof across copies). */
interface GatewayErrorLike extends Error {
  readonly code: number;
  readonly details: readonly FabricErrorDetail[];
  readonly transactionId?: string;
}

/** The shape of fabric-gateway's `CommitError` (a transaction committed with a non-VALID code). */
interface CommitErrorLike extends Error {
  readonly code: number;
  readonly transactionId: string;
}

/** Codes with which gRPC reports that the peer could not be reached or did not answer in time. */
const TRANSPORT_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.CANCELLED,
  GrpcStatus.INTERNAL,
]);

/**
 * Peer-side failures that are about infrastructure, not about the proposal: the chaincode server
 * cannot be reached or died, or an endorser/orderer connection failed.
 */
const INFRASTRUCTURE = [
  /could not launch chaincode/i,
  /chaincode stream terminated/i,
  /timeout expired while executing transaction/i,
  /failed to execute transaction [^:]*: (?:.*)(?:timeout|deadline)/i,
  /connection refused/i,
  /connection error/i,
  /error receiving from stream/i,
  /no such host/i,
  /context deadline exceeded/i,
  /transport is closing/i,
  /code = Unavailable/,
];

const NOT_DEFINED = /make sure the chaincode \S+ has been successfully defined|chaincode definition for '[^']*' not found|could not find chaincode with name/i;
const ACCESS_DENIED = /access denied/i;
/** The peer's prefix for a chaincode's own error response. */
const CHAINCODE_RESPONSE = /^(?:.*?)chaincode response \d+, /s;

function isGatewayError(error: unknown): error is GatewayErrorLike {
  return (
    error instanceof Error &&
    typeof (error as Partial<GatewayErrorLike>).code === 'number' &&
    Array.isArray((error as Partial<GatewayErrorLike>).details)
  );
}

/** A raw grpc-js `ServiceError` (code, details string, metadata), as thrown before fabric-gateway wraps it. */
function isServiceError(error: unknown): error is Error & { code: number; details: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && typeof (error as { details?: unknown }).details === 'string';
}

function isCommitError(error: unknown): error is CommitErrorLike {
  return error instanceof Error && error.name === 'CommitError' && typeof (error as Partial<CommitErrorLike>).code === 'number' && typeof (error as Partial<CommitErrorLike>).transactionId === 'string';
}

/**
 * The gateway's status message: grpc-js puts "<code> <NAME>: " before it in `message`, the bare
 * text is the `details` of the ServiceError that fabric-gateway keeps as `cause`.
 */
function statusMessage(error: GatewayErrorLike): string {
  const raw = (error.cause as { details?: unknown } | undefined)?.details;
  return typeof raw === 'string' ? raw : error.message.replace(/^\d+ [A-Z_]+: /, '');
}

/** The endorser's message without the peer's "chaincode response 500, " prefix. */
export function chaincodeMessage(message: string): string {
  return message.replace(CHAINCODE_RESPONSE, '');
}

/** "access denied: …" from a peer message such as "error validating proposal: access denied: …". */
function accessDeniedText(message: string): string {
  const at = message.search(ACCESS_DENIED);
  return at >= 0 ? message.slice(at) : message;
}

/**
 * The ledger error for any error thrown by fabric-gateway (or by grpc-js under it). Errors that
 * are already ours pass through; errors that are neither (a programming error, a signer that
 * failed) are returned unchanged.
 *
 * @param step the call that failed: decides the default when neither code nor details say more.
 * @param transactionId the transaction, when the caller knows it and the error does not carry it.
 */
export function mapFabricError(error: unknown, step: FabricStep, transactionId?: string): unknown {
  if (error instanceof LedgerError) return error;
  if (isCommitError(error)) return new CommitError(error.code, error.transactionId);

  let code: number;
  let details: readonly FabricErrorDetail[];
  let message: string;
  let txId = transactionId;
  if (isGatewayError(error)) {
    code = error.code;
    details = error.details;
    message = statusMessage(error);
    txId = error.transactionId ?? transactionId;
  } else if (isServiceError(error)) {
    code = error.code;
    details = [];
    message = error.details || error.message;
  } else {
    if (error instanceof Error && /channel has been shut down|client has been closed/i.test(error.message)) {
      return new LedgerUnavailableError('the connection to the peer is closed', { cause: error });
    }
    return error;
  }

  const cause = error;
  const where = `${step}${txId ? ` of ${txId}` : ''}`;
  const options = { cause, ...(txId ? { transactionId: txId } : {}) };
  // Endorsers' messages first (the chaincode's text is there), then the gateway's summary.
  const messages = [...details.map((detail) => detail.message), message].filter((m) => m.length > 0);

  if (TRANSPORT_CODES.has(code)) {
    return new LedgerUnavailableError(`${where}: the peer is unavailable (${GrpcStatus[code] ?? code}): ${message}`, { cause });
  }
  if (code === GrpcStatus.PERMISSION_DENIED) {
    const refusal = ACCESS_DENIED.test(message) ? accessDeniedText(message) : `access denied: ${message}`;
    return new EndorseError(refusal, { ...options, code: 'FORBIDDEN' });
  }

  // The chaincode's own refusal: a `[CODE] text` anywhere in an endorser's answer.
  for (const text of messages) {
    if (parseCodedMessage(text)) return new EndorseError(chaincodeMessage(text), options);
  }
  const denied = messages.find((text) => ACCESS_DENIED.test(text));
  if (denied !== undefined) return new EndorseError(accessDeniedText(denied), { ...options, code: 'FORBIDDEN' });

  const infrastructure = messages.find((text) => INFRASTRUCTURE.some((pattern) => pattern.test(text)));
  if (infrastructure !== undefined) {
    return new LedgerUnavailableError(`${where}: the peer could not run the chaincode: ${infrastructure}`, { cause });
  }
  const undefinedChaincode = messages.find((text) => NOT_DEFINED.test(text));
  if (undefinedChaincode !== undefined) return new EndorseError(undefinedChaincode, { ...options, code: 'BAD_PROPOSAL' });

  // The chaincode refused without a code (e.g. an unknown function): as the embedded ledger, CHAINCODE_ERROR.
  const uncoded = details.find((detail) => CHAINCODE_RESPONSE.test(detail.message)) ?? (CHAINCODE_RESPONSE.test(message) ? { message } : undefined);
  if (uncoded !== undefined) return new EndorseError(chaincodeMessage(uncoded.message), options);

  switch (step) {
    case 'submit':
    case 'commitStatus':
      // Ordered or not, committed or not: unknown. Retrying with the same key is the caller's move.
      return new LedgerUnavailableError(`${where}: ${message}`, { cause });
    default:
      break;
  }
  if (code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.NOT_FOUND || code === GrpcStatus.RESOURCE_EXHAUSTED) {
    // No endorsement plan (peers of a required organisation down), unknown channel, overload.
    return new LedgerUnavailableError(`${where}: ${messages[0] ?? message}`, { cause });
  }
  if (code === GrpcStatus.INVALID_ARGUMENT) return new EndorseError(message, { ...options, code: 'BAD_PROPOSAL' });
  if (step === 'events') return new LedgerUnavailableError(`${where}: ${message}`, { cause });
  return new EndorseError(chaincodeMessage(messages[0] ?? message), options);
}

/** `mapFabricError` for use in `catch`: always throws. */
export function rethrowFabricError(error: unknown, step: FabricStep, transactionId?: string): never {
  throw mapFabricError(error, step, transactionId);
}
