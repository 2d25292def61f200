/**
 * Ledger errors, keyed to the step that failed (as fabric-gateway's EndorseError, SubmitError,
 * CommitError). Each carries a stable `code` that the services map to HTTP problems:
 *
 * - `EndorseError`: the proposal was refused before ordering — the chaincode threw (its own code,
 *   e.g. `LICENSE_STATE`, is kept), or the creator is not a member / the signature is bad.
 * - `CommitError`: the transaction was ordered but invalidated (`validationCode`, e.g. 11
 *   MVCC_READ_CONFLICT), after any retries.
 * - `LedgerUnavailableError`: the ledger could not be reached or did not answer in time.
 */
import { parseCodedMessage } from '../domain/coded-error';

export class LedgerError extends Error {
  readonly code: string;
  readonly transactionId: string | undefined;

  constructor(code: string, message: string, options?: { transactionId?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = new.target.name;
    this.code = code;
    this.transactionId = options?.transactionId;
  }
}

export class EndorseError extends LedgerError {
  /** The message as the chaincode (or the identity check) gave it, without its code prefix. */
  readonly detail: string;

  constructor(message: string, options?: { transactionId?: string; cause?: unknown; code?: string }) {
    const coded = parseCodedMessage(message);
    super(options?.code ?? coded?.code ?? 'CHAINCODE_ERROR', coded?.detail ?? message, options);
    this.detail = coded?.detail ?? message;
  }
}

/** Fabric's transaction validation codes that the ledgers use. */
export const ValidationCode = {
  VALID: 0,
  BAD_CREATOR_SIGNATURE: 4,
  BAD_PROPOSAL_TXID: 8,
  DUPLICATE_TXID: 9,
  ENDORSEMENT_POLICY_FAILURE: 10,
  MVCC_READ_CONFLICT: 11,
  PHANTOM_READ_CONFLICT: 12,
} as const;

export type ValidationCodeName = keyof typeof ValidationCode;

export function validationCodeName(code: number): string {
  const found = Object.entries(ValidationCode).find(([, value]) => value === code);
  return found ? found[0] : `CODE_${code}`;
}

export class CommitError extends LedgerError {
  readonly validationCode: number;

  constructor(validationCode: number, transactionId: string) {
    super(
      validationCode === ValidationCode.MVCC_READ_CONFLICT || validationCode === ValidationCode.PHANTOM_READ_CONFLICT
        ? 'CONFLICT'
        : 'COMMIT_FAILED',
      `transaction ${transactionId} was invalidated: ${validationCodeName(validationCode)}`,
      { transactionId },
    );
    this.validationCode = validationCode;
  }
}

export class LedgerUnavailableError extends LedgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LEDGER_UNAVAILABLE', message, options);
  }
}
