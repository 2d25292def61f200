/**
 * One registry of the problems the services answer with (api.md "Errors"): every refusal is an
 * RFC 9457 `application/problem+json` body `{ type, title, status, detail, code, errors? }` with a
 * stable upper-case `code`. Chaincode refusals keep their chaincode code; ledger failures map to
 * `CONFLICT` or `LEDGER_UNAVAILABLE`.
 */
import { CommitError, EndorseError, LedgerError } from '../ledger/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Code → HTTP status and a short title. Codes never change; add, never rename. */
export const PROBLEMS = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_REQUEST: { status: 400, title: 'The request cannot be parsed' },
  INVALID_IDENTIFIER: { status: 400, title: 'Invalid license identifier' },
  INVALID_HOLDER_CODE: { status: 400, title: 'Invalid holder code' },
  INVALID_DOCUMENT: { status: 400, title: 'The document is malformed' },
  SEAL_MALFORMED: { status: 400, title: 'The seal or signature is malformed' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  SIGNATURE_INVALID: { status: 401, title: 'The request signature is missing, malformed or does not verify' },
  SIGNATURE_EXPIRED: { status: 401, title: 'The request signature is too old or dated in the future' },
  SIGNATURE_REPLAYED: { status: 401, title: 'The request signature was already used' },
  IDENTITY_UNTRUSTED: { status: 401, title: 'The certificate is not issued by a CA of the organisation it claims' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  TYPE_NOT_AUTHORIZED: { status: 403, title: 'Organisation not authorised for this license type' },
  SEAL_NOT_AUTHORIZED: { status: 403, title: 'Not authorised to sign with this seal' },
  GRANT_INVALID: { status: 403, title: 'No valid grant' },
  GRANT_EXPIRED: { status: 403, title: 'The grant has expired' },
  GRANT_EXHAUSTED: { status: 403, title: 'The grant has no uses left' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  CONFLICT: { status: 409, title: 'Conflict' },
  IDEMPOTENCY_CONFLICT: { status: 409, title: 'Idempotency key reused with a different request' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this idempotency key is in progress' },
  LICENSE_STATE: { status: 409, title: 'The license is not in a state that allows this' },
  DISPUTE_STATE: { status: 409, title: 'The dispute is not in a state that allows this' },
  SEAL_STATE: { status: 409, title: 'The seal is not in a state that allows this' },
  MATERIAL_STATE: { status: 409, title: 'The material is not in a state that allows this' },
  INTEGRITY_FAILED: { status: 502, title: 'Delivered bytes do not match the ledger digest' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  UPSTREAM_UNAVAILABLE: { status: 502, title: 'An upstream service failed' },
  LEDGER_UNAVAILABLE: { status: 503, title: 'The ledger is unavailable' },
  // A refusal under load is back-pressure doing its job: logged at warn, not as an error with a
  // stack for each of the thousands of requests an overload refuses.
  OVERLOADED: { status: 503, title: 'The service is overloaded', logLevel: 'warn' },
} as const satisfies Record<string, ProblemEntry>;

/** How a problem is logged: `error` (with the error and its stack) by default for 5xx, `info` below. */
export type ProblemLogLevel = 'error' | 'warn' | 'info';

interface ProblemEntry {
  readonly status: number;
  readonly title: string;
  readonly logLevel?: ProblemLogLevel;
}

/** The table looked up by any code string (codes outside it are 400s). */
const ENTRIES: Readonly<Record<string, ProblemEntry | undefined>> = PROBLEMS;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly errors?: readonly FieldError[];
}

export class ProblemError extends Error {
  readonly code: string;
  readonly status: number;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly logLevel: ProblemLogLevel;

  constructor(code: ProblemCode | string, detail: string, options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'ProblemError';
    this.code = code;
    const entry = ENTRIES[code];
    this.status = entry?.status ?? 400;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.logLevel = entry?.logLevel ?? (this.status >= 500 ? 'error' : 'info');
  }

  toProblem(): Problem {
    const title = ENTRIES[this.code]?.title ?? 'Request refused';
    return {
      type: `urn:licensechain:problem:${this.code.toLowerCase().replace(/_/g, '-')}`,
      title,
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** A ledger failure as the problem a client should see. */
export function problemFromLedger(error: LedgerError): ProblemError {
  if (error instanceof EndorseError) {
    // Unknown chaincode codes are refusals of the request, never server faults.
    return new ProblemError(error.code in PROBLEMS ? error.code : 'VALIDATION_FAILED', error.detail, { cause: error });
  }
  if (error instanceof CommitError) return new ProblemError('CONFLICT', `${error.message}; retry the request`, { cause: error });
  return new ProblemError('LEDGER_UNAVAILABLE', error.message, { cause: error, headers: { 'retry-after': '5' } });
}

/** JSON Schema of a problem body, for route response declarations and the OpenAPI document. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;
