/**
 * `Contract` of client.ts on a fabric-gateway contract: submit = endorse → submit → commit status,
 * with a bounded, jittered retry of transactions invalidated by an MVCC or phantom read conflict
 * (each attempt a fresh proposal, so a fresh transaction id), and every failure mapped to the
 * ledger errors (fabric-errors.ts).
 *
 * The fine-grained flow (`newProposal` / `endorse` / `submit` / `getStatus`) is used rather than
 * `submitTransaction`, so the commit's block number and validation code are read without an
 * exception, and each step's error is mapped with knowledge of the step.
 */
import type { Contract, ProposalOptions, SubmitResult } from '../client';
import { CommitError, LedgerUnavailableError, ValidationCode } from '../errors';
import { rethrowFabricError } from './fabric-errors';

/** What a fabric-gateway `Contract` offers that this adapter uses (fakes implement just this). */
export interface ProposalSource {
  newProposal(transactionName: string, options?: GatewayProposalOptions): ProposalLike;
}

export interface GatewayProposalOptions {
  arguments?: Array<string | Uint8Array>;
  transientData?: Record<string, string | Uint8Array>;
}

export interface ProposalLike {
  getTransactionId(): string;
  evaluate(): Promise<Uint8Array>;
  endorse(): Promise<EndorsedLike>;
}

export interface EndorsedLike {
  getResult(): Uint8Array;
  getTransactionId(): string;
  submit(): Promise<CommitLike>;
}

export interface CommitLike {
  getStatus(): Promise<{ readonly code: number; readonly blockNumber: bigint }>;
}

export interface ConflictRetryOptions {
  /** Extra attempts after an MVCC/phantom conflict (default 5, as the embedded gateway). */
  readonly maxRetries?: number;
  /** First backoff ceiling in ms (default 20); doubles per attempt up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  /** Backoff ceiling in ms (default 250). */
  readonly maxBackoffMs?: number;
  /** For tests: a random number in [0, 1). */
  readonly random?: () => number;
  /** For tests: waits `ms`. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_MAX_RETRIES = 5;

/**
 * "Full jitter" backoff before retry number `attempt` (0 = the first retry): uniformly random in
 * [0, min(max, base · 2^attempt)). Conflicting submitters spread out instead of colliding again in
 * the next block.
 */
export function conflictBackoffMs(attempt: number, options: ConflictRetryOptions = {}): number {
  const base = options.baseBackoffMs ?? 20;
  const max = options.maxBackoffMs ?? 250;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

function isConflict(code: number): boolean {
  return code === ValidationCode.MVCC_READ_CONFLICT || code === ValidationCode.PHANTOM_READ_CONFLICT;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FabricContract implements Contract {
  readonly #source: ProposalSource;
  readonly #retry: ConflictRetryOptions;
  readonly #isClosed: () => boolean;

  /**
   * @param source a fabric-gateway `Contract` (or a fake with the same methods).
   * @param isClosed true once the gateway or ledger is closed: calls then fail fast with LEDGER_UNAVAILABLE.
   */
  constructor(source: ProposalSource, retry: ConflictRetryOptions = {}, isClosed: () => boolean = () => false) {
    this.#source = source;
    this.#retry = retry;
    this.#isClosed = isClosed;
  }

  async submit(transactionName: string, options: ProposalOptions = {}): Promise<SubmitResult> {
    const maxRetries = this.#retry.maxRetries ?? DEFAULT_MAX_RETRIES;
    const sleep = this.#retry.sleep ?? defaultSleep;
    for (let attempt = 0; ; attempt++) {
      this.#assertOpen();
      const proposal = this.#source.newProposal(transactionName, gatewayOptions(options));
      const transactionId = proposal.getTransactionId();
      let endorsed: EndorsedLike;
      try {
        endorsed = await proposal.endorse();
      } catch (error) {
        rethrowFabricError(error, 'endorse', transactionId);
      }
      let commit: CommitLike;
      try {
        commit = await endorsed.submit();
      } catch (error) {
        rethrowFabricError(error, 'submit', transactionId);
      }
      let status: { code: number; blockNumber: bigint };
      try {
        status = await commit.getStatus();
      } catch (error) {
        rethrowFabricError(error, 'commitStatus', transactionId);
      }
      if (status.code === ValidationCode.VALID) {
        return { result: endorsed.getResult(), transactionId, blockNumber: Number(status.blockNumber), code: status.code };
      }
      if (!isConflict(status.code) || attempt >= maxRetries) throw new CommitError(status.code, transactionId);
      await sleep(conflictBackoffMs(attempt, this.#retry));
    }
  }

  async evaluate(transactionName: string, options: ProposalOptions = {}): Promise<Uint8Array> {
    this.#assertOpen();
    const proposal = this.#source.newProposal(transactionName, gatewayOptions(options));
    try {
      return await proposal.evaluate();
    } catch (error) {
      rethrowFabricError(error, 'evaluate', proposal.getTransactionId());
    }
  }

  #assertOpen(): void {
    if (this.#isClosed()) throw new LedgerUnavailableError('the Fabric gateway connection is closed');
  }
}

/** Our read-only options as fabric-gateway's (mutable copies). */
export function gatewayOptions(options: ProposalOptions): GatewayProposalOptions {
  return {
    ...(options.arguments ? { arguments: [...options.arguments] } : {}),
    ...(options.transientData ? { transientData: { ...options.transientData } } : {}),
  };
}
