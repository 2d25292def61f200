/**
 * The one ledger client interface that gateway and verifier use.
 *
 * Two implementations stand behind it: the embedded ledger (`ledger/embedded/`) and the Fabric
 * client (`ledger/fabric/`, on `@hyperledger/fabric-gateway`). The shapes follow fabric-gateway on
 * purpose (`Identity`, `Signer`, `connect()` → contract, `submit`/`evaluate`, chaincode events from a
 * block or a checkpoint) so that the Fabric implementation is a thin adapter and callers never know
 * which ledger they talk to.
 *
 * Concurrency: submits from any number of callers may be in flight at once; each resolves only
 * after its transaction is committed (or refused). Events are delivered in block order, then
 * transaction order, for valid transactions only.
 */

/** A client identity: the MSP it belongs to and its X.509 certificate (PEM bytes), as in fabric-gateway. */
export interface Identity {
  readonly mspId: string;
  readonly credentials: Uint8Array;
}

/**
 * Signs the serialized proposal bytes and returns a DER ECDSA-SHA256 signature (low-S).
 * Same type as fabric-gateway's `Signer`; the Fabric client connects with `hash.none`, so that a
 * signer built on `node:crypto` hashes and signs in one step.
 */
export type Signer = (message: Uint8Array) => Promise<Uint8Array>;

export interface ProposalOptions {
  /** Transaction arguments after the function name. */
  readonly arguments?: ReadonlyArray<string | Uint8Array>;
  /** Private inputs: visible to the chaincode, never written to a block. */
  readonly transientData?: Readonly<Record<string, string | Uint8Array>>;
}

export interface SubmitResult {
  /** The chaincode's return value. */
  readonly result: Uint8Array;
  readonly transactionId: string;
  readonly blockNumber: number;
  /** Fabric validation code; always 0 (VALID) for a resolved submit. */
  readonly code: number;
}

export interface ChaincodeEvent {
  readonly blockNumber: number;
  readonly transactionId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

/** Remembers how far an event listener got, so it can resume after a restart. */
export interface Checkpointer {
  /** The block to resume from (the checkpointed block is re-read unless all its events were seen). */
  readonly blockNumber: number | undefined;
  /** The last transaction processed within `blockNumber`, if any. */
  readonly transactionId: string | undefined;
  checkpointBlock(blockNumber: number): Promise<void>;
  checkpointTransaction(blockNumber: number, transactionId: string): Promise<void>;
}

export interface ChaincodeEventsOptions {
  /** First block to read events from; default: the next block to be committed. */
  readonly startBlock?: number;
  /** Resume position; overrides `startBlock`. */
  readonly checkpoint?: Checkpointer;
}

/** An async iterable of events that must be closed when the caller stops reading. */
export interface CloseableAsyncIterable<T> extends AsyncIterable<T> {
  close(): void;
}

/** Calls on the chaincode as one identity. */
export interface Contract {
  /** Endorse, order and wait for commit. Rejects with a `LedgerError` subclass. */
  submit(transactionName: string, options?: ProposalOptions): Promise<SubmitResult>;
  /** Run a query against committed state; nothing is ordered. */
  evaluate(transactionName: string, options?: ProposalOptions): Promise<Uint8Array>;
}

/** A connection bound to one identity, as fabric-gateway's `Gateway`. */
export interface Gateway {
  getContract(): Contract;
  getChaincodeEvents(options?: ChaincodeEventsOptions): Promise<CloseableAsyncIterable<ChaincodeEvent>>;
  close(): void;
}

export interface ConnectOptions {
  readonly identity: Identity;
  readonly signer: Signer;
}

export interface LedgerInfo {
  /** Number of blocks (the next block's number). */
  readonly height: number;
  /** Hex SHA-256 header hash of the last block. */
  readonly currentBlockHash: string;
  readonly previousBlockHash: string;
}

/** The ledger as a whole: connections per identity plus read access to blocks for auditors. */
export interface Ledger {
  connect(options: ConnectOptions): Gateway;
  info(): Promise<LedgerInfo>;
  /** A block in JSON form (header, transactions, validation codes), or undefined. */
  getBlock(blockNumber: number): Promise<unknown | undefined>;
  /** A transaction with its block number and validation code, or undefined. */
  getTransaction(transactionId: string): Promise<unknown | undefined>;
  close(): Promise<void>;
}
