/**
 * A connection to a Fabric peer's gateway service as one identity — the Fabric counterpart of
 * EmbeddedGateway: `getContract()` for submits and queries on the channel's chaincode,
 * `getChaincodeEvents()` resumable from a checkpoint, and system-chaincode queries (qscc) for the
 * ledger's own reads. Many of these share one gRPC client (FabricLedger owns it).
 */
import type { Gateway as FabricGatewayConnection, Network } from '@hyperledger/fabric-gateway';
import type { ChaincodeEvent, ChaincodeEventsOptions, CloseableAsyncIterable, Contract, Gateway } from '../client';
import { LedgerUnavailableError } from '../errors';
import { FabricContract, type ConflictRetryOptions, type ProposalSource } from './fabric-contract';
import { rethrowFabricError } from './fabric-errors';
import { openChaincodeEvents } from './fabric-events';

export interface FabricGatewayOptions {
  readonly channel: string;
  readonly chaincode: string;
  readonly retry?: ConflictRetryOptions;
  /** True once the owning ledger is closed. */
  readonly ledgerClosed?: () => boolean;
  /** Called once when this gateway is closed. */
  readonly onClose?: () => void;
}

export class FabricGateway implements Gateway {
  readonly #connection: FabricGatewayConnection;
  readonly #network: Network;
  readonly #options: FabricGatewayOptions;
  readonly #streams = new Set<{ close(): void }>();
  #closed = false;

  constructor(connection: FabricGatewayConnection, options: FabricGatewayOptions) {
    this.#connection = connection;
    this.#options = options;
    this.#network = connection.getNetwork(options.channel);
  }

  get closed(): boolean {
    return this.#closed || (this.#options.ledgerClosed?.() ?? false);
  }

  /** The MSP of the identity this gateway acts as. */
  get mspId(): string {
    return this.#connection.getIdentity().mspId;
  }

  getContract(): Contract {
    const source: ProposalSource = this.#network.getContract(this.#options.chaincode);
    return new FabricContract(source, this.#options.retry, () => this.closed);
  }

  async getChaincodeEvents(options: ChaincodeEventsOptions = {}): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
    this.#assertOpen();
    const handle: { close(): void } = { close: () => undefined };
    this.#streams.add(handle);
    try {
      const events = await openChaincodeEvents(this.#network, this.#options.chaincode, options, () => this.#streams.delete(handle));
      handle.close = () => events.close();
      if (this.closed) events.close();
      return events;
    } catch (error) {
      this.#streams.delete(handle);
      throw error;
    }
  }

  /**
   * Evaluates a function of the query system chaincode (`qscc`) on this gateway's channel; the
   * channel name is its first argument.
   */
  async queryQscc(functionName: string, ...args: string[]): Promise<Uint8Array> {
    this.#assertOpen();
    const proposal = this.#network.getContract('qscc').newProposal(functionName, { arguments: [this.#options.channel, ...args] });
    try {
      return await proposal.evaluate();
    } catch (error) {
      rethrowFabricError(error, 'query', proposal.getTransactionId());
    }
  }

  /** Ends every event stream opened here; later calls fail with LEDGER_UNAVAILABLE. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of [...this.#streams]) stream.close();
    this.#streams.clear();
    this.#connection.close();
    this.#options.onClose?.();
  }

  #assertOpen(): void {
    if (this.closed) throw new LedgerUnavailableError('the Fabric gateway connection is closed');
  }
}
