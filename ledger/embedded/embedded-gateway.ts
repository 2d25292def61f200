/**
 * A connection to the embedded ledger as one identity — the embedded counterpart of
 * fabric-gateway's `Gateway` and `Contract`. It builds and signs proposals client-side, so the
 * ledger authenticates every call exactly as a peer would, and retries a submit whose
 * transaction lost an MVCC or phantom conflict with a fresh proposal, a bounded number of times.
 */
import type {
  ChaincodeEvent,
  ChaincodeEventsOptions,
  CloseableAsyncIterable,
  ConnectOptions,
  Contract,
  Gateway,
  ProposalOptions,
  SubmitResult,
} from '../client';
import { CommitError, LedgerUnavailableError, ValidationCode } from '../errors';
import type { EmbeddedLedger } from './embedded-ledger';
import { createProposal, type SignedProposal } from './proposal';

export interface EmbeddedGatewayOptions {
  /** Chaincode to call; default: the ledger's first chaincode. */
  readonly chaincodeName?: string;
  /** Extra attempts after an MVCC/phantom conflict (default 5). */
  readonly conflictRetries?: number;
  /** Longest wait for a commit before the submit fails with LEDGER_UNAVAILABLE (default 30 s). */
  readonly commitTimeoutMs?: number;
}

export class EmbeddedGateway implements Gateway {
  readonly #ledger: EmbeddedLedger;
  readonly #options: ConnectOptions & EmbeddedGatewayOptions;
  readonly #chaincodeName: string;
  readonly #abort = new AbortController();

  constructor(ledger: EmbeddedLedger, options: ConnectOptions & EmbeddedGatewayOptions) {
    this.#ledger = ledger;
    this.#options = options;
    this.#chaincodeName = options.chaincodeName ?? ledger.chaincodeNames[0] ?? '';
  }

  getContract(): Contract {
    return new EmbeddedContract(this.#ledger, this.#options, this.#chaincodeName);
  }

  async getChaincodeEvents(options: ChaincodeEventsOptions = {}): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
    const checkpoint = options.checkpoint;
    const start = checkpoint?.blockNumber ?? options.startBlock ?? this.#ledger.height;
    const skipThrough = checkpoint?.transactionId;
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    this.#abort.signal.addEventListener('abort', onClose);
    const source = this.#ledger.chaincodeEvents(this.#chaincodeName, start, abort.signal);
    async function* events(): AsyncGenerator<ChaincodeEvent> {
      // Resuming inside a checkpointed block: skip events up to the last one processed.
      let skipping = skipThrough !== undefined;
      for await (const event of source) {
        if (skipping && event.blockNumber === start) {
          if (event.transactionId === skipThrough) skipping = false;
          continue;
        }
        skipping = false;
        yield event;
      }
    }
    const iterable = events();
    return {
      [Symbol.asyncIterator]: () => iterable,
      close: () => {
        abort.abort();
        this.#abort.signal.removeEventListener('abort', onClose);
      },
    };
  }

  close(): void {
    this.#abort.abort();
  }
}

class EmbeddedContract implements Contract {
  readonly #ledger: EmbeddedLedger;
  readonly #options: ConnectOptions & EmbeddedGatewayOptions;
  readonly #chaincodeName: string;
  readonly #creator: { mspId: string; idBytes: string };

  constructor(ledger: EmbeddedLedger, options: ConnectOptions & EmbeddedGatewayOptions, chaincodeName: string) {
    this.#ledger = ledger;
    this.#options = options;
    this.#chaincodeName = chaincodeName;
    this.#creator = { mspId: options.identity.mspId, idBytes: Buffer.from(options.identity.credentials).toString('utf8') };
  }

  async submit(transactionName: string, options: ProposalOptions = {}): Promise<SubmitResult> {
    const retries = this.#options.conflictRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const signed = await this.#propose(transactionName, options);
      const endorsed = await this.#ledger.endorse(signed);
      const status = await withTimeout(this.#ledger.order(endorsed), this.#options.commitTimeoutMs ?? 30_000);
      if (status.code === ValidationCode.VALID) {
        return { result: endorsed.payload, transactionId: endorsed.txId, blockNumber: status.blockNumber, code: status.code };
      }
      const conflict =
        status.code === ValidationCode.MVCC_READ_CONFLICT || status.code === ValidationCode.PHANTOM_READ_CONFLICT;
      if (!conflict || attempt >= retries) throw new CommitError(status.code, endorsed.txId);
    }
  }

  async evaluate(transactionName: string, options: ProposalOptions = {}): Promise<Uint8Array> {
    return this.#ledger.evaluate(await this.#propose(transactionName, options));
  }

  async #propose(transactionName: string, options: ProposalOptions): Promise<SignedProposal> {
    const transient = new Map(
      Object.entries(options.transientData ?? {}).map(([name, value]) => [name, Buffer.from(value)] as const),
    );
    const { bytes } = createProposal({
      channelId: this.#ledger.channel.channelId,
      chaincodeName: this.#chaincodeName,
      creator: this.#creator,
      transactionName,
      args: options.arguments ?? [],
      transient,
    });
    const signature = Buffer.from(await this.#options.signer(bytes));
    return { bytes, signature, transient };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LedgerUnavailableError(`no commit within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
