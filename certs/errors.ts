/**
 * Error codes of the PKI. They reuse the project's `CodedError` (`[CODE] message`), so a refusal
 * from certs/ reads the same as one from the ledger or the chaincode. Codes never change.
 */
import { CodedError } from '../domain/coded-error';

/** Stable codes for refusals raised by certs/. */
export const CertsErrorCode = {
  /** An argument or spec field is missing or malformed. */
  INVALID_ARGUMENT: 'CERTS_INVALID_ARGUMENT',
  /** An expected file or folder (CA, MSP, consortium manifest) is absent. */
  NOT_FOUND: 'CERTS_NOT_FOUND',
  /** A certificate or key could not be parsed, or a file holds something unexpected. */
  MALFORMED: 'CERTS_MALFORMED',
  /** A private key does not belong to the certificate it is paired with. */
  KEY_MISMATCH: 'CERTS_KEY_MISMATCH',
  /** What exists on disk contradicts what was asked (e.g. an identity with another role). */
  CONFLICT: 'CERTS_CONFLICT',
} as const;

export type CertsErrorCode = (typeof CertsErrorCode)[keyof typeof CertsErrorCode];

/** Creates a `CodedError` with one of the certs/ codes. */
export function certsError(code: CertsErrorCode, message: string, cause?: unknown): CodedError {
  return new CodedError(code, message, cause === undefined ? undefined : { cause });
}
