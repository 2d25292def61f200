/**
 * The ledger reads a verification makes, typed, as one principal. "Not found" is an answer
 * (`undefined`), not a failure; a ledger that cannot be reached stays `LEDGER_UNAVAILABLE` (503) —
 * never turned into "invalid" — and any other refusal of the verifier's own read is a server fault,
 * because a relying party must not be told a license is bad when the verifier is misconfigured.
 */
import type { BatchRecord, LicenseTypeRecord, LicenseView, MaterialView, OrganisationRecord, SealCheck, SealRecord, VerificationFacts } from '../chaincode/records';
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

  /**
   * Everything a verification reads, in one query: the license (status, flags), its type, issuer,
   * seal, the seal's state at `sealStateAt` (default: when the license was recorded) and its batch
   * header. Undefined when the license is not on the ledger.
   */
  verificationFacts(identifier: string, sealStateAt?: Date): Promise<VerificationFacts | undefined> {
    return this.#find('license:GetVerificationFacts', identifier, sealStateAt === undefined ? '' : sealStateAt.toISOString());
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
    return this.#forbiddenIsAnAnswer(() => this.#find<BatchView>('license:GetBatch', issuerMsp, batchId));
  }

  /** The batch header alone (no chunk lists), or `'forbidden'` as {@link batch}. */
  batchHeader(issuerMsp: string, batchId: string): Promise<BatchRecord | undefined | 'forbidden'> {
    return this.#forbiddenIsAnAnswer(() => this.#find<BatchRecord>('license:GetBatchHeader', issuerMsp, batchId));
  }

  async #forbiddenIsAnAnswer<T>(read: () => Promise<T>): Promise<T | 'forbidden'> {
    try {
      return await read();
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
      // An id the ledger refuses as malformed (a client's, or one read from inside a presented
      // signature) names nothing on the ledger: not found, not a server fault.
      if (error instanceof ProblemError && error.cause instanceof EndorseError && (error.cause.code === 'NOT_FOUND' || error.cause.code === 'VALIDATION_FAILED')) return undefined;
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
