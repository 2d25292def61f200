/**
 * The ledger reads a verification makes, typed, as one principal. "Not found" is an answer
 * (`undefined`), not a failure; a ledger that cannot be reached stays `LEDGER_UNAVAILABLE` (503) —
 * never turned into "invalid" — and any other refusal of the verifier's own read is a server fault,
 * because a relying party must not be told a license is bad when the verifier is misconfigured.
 */
import type { BatchRecord, LicenseTypeRecord, LicenseView, MaterialView, OrganisationRecord, SealCheck, SealRecord } from '../chaincode/records';
import { EndorseError } from '../ledger/errors';
import { evaluate, type LedgerArgument } from '../service/ledger-calls';
import type { Principal } from '../service/principal';
import { ProblemError } from '../service/problem';

/** A batch header as `license:GetBatch` answers it. */
export interface BatchView extends BatchRecord {
  readonly recorded: number;
  readonly complete: boolean;
}

/**
 * Typed reads as one principal, made afresh each time (nothing here is cached).
 * @example
 * const record = await new LedgerReader(principal).license(identifier); // undefined: not on the ledger
 */
export class LedgerReader {
  readonly #principal: Principal;

  constructor(principal: Principal) {
    this.#principal = principal;
  }

  license(identifier: string): Promise<LicenseView | undefined> {
    return this.#find('license:GetLicense', identifier);
  }

  organisation(mspId: string): Promise<OrganisationRecord | undefined> {
    return this.#find('registry:GetOrganisation', mspId);
  }

  licenseType(typeCode: string): Promise<LicenseTypeRecord | undefined> {
    return this.#find('registry:GetLicenseType', typeCode);
  }

  seal(sealId: string): Promise<SealRecord | undefined> {
    return this.#find('seal:GetSeal', sealId);
  }

  /** The seal's state at `at` (RFC 3339), judged from its append-only state history. */
  checkSeal(sealId: string, at: Date): Promise<SealCheck> {
    return this.#read<SealCheck>('seal:CheckSeal', sealId, '', at.toISOString());
  }

  /**
   * The batch header, or `'forbidden'` when the chaincode does not let this role read batches
   * (the license record still carries the batch id, root and leaf index).
   */
  async batch(issuerMsp: string, batchId: string): Promise<BatchView | undefined | 'forbidden'> {
    try {
      return await this.#find<BatchView>('license:GetBatch', issuerMsp, batchId);
    } catch (error) {
      if (error instanceof ProblemError && error.cause instanceof EndorseError && error.cause.code === 'FORBIDDEN') return 'forbidden';
      throw error;
    }
  }

  materialsByDigest(digest: string): Promise<MaterialView[]> {
    return this.#read<MaterialView[]>('material:FindMaterialsByDigest', digest);
  }

  material(materialId: string): Promise<MaterialView | undefined> {
    return this.#find('material:GetMaterial', materialId);
  }

  async #find<T>(transaction: string, ...args: LedgerArgument[]): Promise<T | undefined> {
    try {
      return await this.#read<T>(transaction, ...args);
    } catch (error) {
      if (error instanceof ProblemError && error.cause instanceof EndorseError && error.cause.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  async #read<T>(transaction: string, ...args: LedgerArgument[]): Promise<T> {
    try {
      return await evaluate<T>(this.#principal, transaction, ...args);
    } catch (error) {
      if (error instanceof EndorseError) {
        throw new ProblemError('INTERNAL_ERROR', `the verifier's ledger read ${transaction} was refused (${error.code})`, { cause: error });
      }
      throw error; // LedgerUnavailableError: the error handler answers 503
    }
  }
}
