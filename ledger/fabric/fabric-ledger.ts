/**
 * The Fabric ledger client: `Ledger` of client.ts on `@hyperledger/fabric-gateway`, one instance
 * per peer.
 *
 * - One gRPC client (TLS, `@grpc/grpc-js`) per peer, shared by every identity's gateway —
 *   fabric-gateway's recommended shape: connections are expensive, gateways are cheap.
 * - `connect({ identity, signer })` binds a gateway to an identity with `hash: hash.none`: the
 *   signer is given the whole message and hashes and signs it in one step (node:crypto, low-S,
 *   certs/signer.ts) — fabric-gateway's default would SHA-256 the message first and sign the digest
 *   in pure JavaScript.
 * - Deadlines on every unary call (evaluate, endorse, submit, commit status); none on event streams.
 * - `info`, `getBlock`, `getTransaction` query the `qscc` system chaincode as a reader identity
 *   (`options.reader`, else the first connected gateway's identity) and answer in the embedded
 *   ledger's JSON form (block-decoder.ts).
 * - `close()` ends the gateways (and their event streams), then the gRPC client.
 */
import { createHash, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, hash } from '@hyperledger/fabric-gateway';
import type { ConnectOptions, Gateway, Ledger, LedgerInfo } from '../client';
import { EndorseError, LedgerUnavailableError } from '../errors';
import { decodeChainInfo, describeFabricBlock, describeProcessedTransaction, findTransaction, type FabricBlockJson, type FabricTransactionJson } from './block-decoder';
import { DEFAULT_MAX_RETRIES, type ConflictRetryOptions } from './fabric-contract';
import { FabricGateway } from './fabric-gateway';

/** Deadlines in milliseconds, per gateway call. */
export interface FabricDeadlines {
  /** A query (default 5 s). */
  readonly evaluate?: number;
  /** Collecting endorsements (default 15 s). */
  readonly endorse?: number;
  /** Handing the transaction to the orderer (default 5 s). */
  readonly submit?: number;
  /** Waiting for the commit (default 30 s, the embedded ledger's commit timeout). */
  readonly commitStatus?: number;
}

export const DEFAULT_DEADLINES: Required<FabricDeadlines> = { evaluate: 5_000, endorse: 15_000, submit: 5_000, commitStatus: 30_000 };

export interface FabricLedgerOptions {
  /** The peer's gateway endpoint, `host:port`. */
  readonly peerEndpoint: string;
  /** PEM of the CA that signed the peer's TLS certificate. */
  readonly tlsCaCertificate: string | Uint8Array;
  /** TLS server name to expect when it differs from the endpoint's host (e.g. `peer0.agency-a`). */
  readonly hostnameOverride?: string;
  /** Mutual TLS, when the peer requires client certificates: PEM certificate and key. */
  readonly tlsClientCertificate?: string;
  readonly tlsClientKey?: string;
  readonly channel: string;
  readonly chaincode: string;
  readonly deadlines?: FabricDeadlines;
  /** Extra attempts of a submit invalidated by an MVCC/phantom conflict (default 5). */
  readonly maxRetries?: number;
  /** Conflict backoff tuning (and test hooks); `maxRetries` wins over `retry.maxRetries`. */
  readonly retry?: Omit<ConflictRetryOptions, 'maxRetries'>;
  /** The identity for `info` / `getBlock` / `getTransaction` (a channel reader); default: the first connected. */
  readonly reader?: ConnectOptions;
  /** Extra gRPC channel options. */
  readonly grpcOptions?: grpc.ChannelOptions;
}

/** Fabric's own gRPC message limit (peer `MaxRecvMsgSize`): blocks from qscc can be large. */
const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export class FabricLedger implements Ledger {
  readonly channel: string;
  readonly chaincode: string;
  readonly #options: FabricLedgerOptions;
  readonly #client: grpc.Client;
  readonly #deadlines: Required<FabricDeadlines>;
  readonly #retry: ConflictRetryOptions;
  readonly #tlsClientCertificateHash: Uint8Array | undefined;
  readonly #gateways = new Set<FabricGateway>();
  #reader: FabricGateway | undefined;
  #closed = false;

  constructor(options: FabricLedgerOptions) {
    if (!options.peerEndpoint) throw new TypeError('peerEndpoint is required');
    if (!options.channel || !options.chaincode) throw new TypeError('channel and chaincode are required');
    this.#options = options;
    this.channel = options.channel;
    this.chaincode = options.chaincode;
    this.#deadlines = { ...DEFAULT_DEADLINES, ...definedOnly(options.deadlines ?? {}) };
    this.#retry = { ...options.retry, maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES };
    const mutual = options.tlsClientCertificate !== undefined && options.tlsClientKey !== undefined;
    const credentials = grpc.credentials.createSsl(
      Buffer.from(options.tlsCaCertificate),
      mutual ? Buffer.from(options.tlsClientKey as string) : null,
      mutual ? Buffer.from(options.tlsClientCertificate as string) : null,
    );
    this.#tlsClientCertificateHash = mutual
      ? createHash('sha256').update(new X509Certificate(options.tlsClientCertificate as string).raw).digest()
      : undefined;
    this.#client = new grpc.Client(options.peerEndpoint, credentials, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      ...(options.hostnameOverride ? { 'grpc.ssl_target_name_override': options.hostnameOverride, 'grpc.default_authority': options.hostnameOverride } : {}),
      ...options.grpcOptions,
    });
  }

  /** Waits until the peer accepts the connection (TLS handshake done), or LEDGER_UNAVAILABLE after `timeoutMs`. */
  async ready(timeoutMs = 10_000): Promise<void> {
    this.#assertOpen();
    await new Promise<void>((resolve, reject) => {
      this.#client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (error) reject(new LedgerUnavailableError(`peer ${this.#options.peerEndpoint} is not reachable: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  connect(options: ConnectOptions): Gateway {
    this.#assertOpen();
    const gateway = this.#newGateway(options, (closed) => this.#gateways.delete(closed));
    this.#gateways.add(gateway);
    return gateway;
  }

  async info(): Promise<LedgerInfo> {
    return decodeChainInfo(await this.#readerGateway().queryQscc('GetChainInfo'));
  }

  async getBlock(blockNumber: number): Promise<FabricBlockJson | undefined> {
    if (!Number.isSafeInteger(blockNumber) || blockNumber < 0) return undefined;
    const reader = this.#readerGateway();
    try {
      return describeFabricBlock(await reader.queryQscc('GetBlockByNumber', String(blockNumber)));
    } catch (error) {
      // qscc refuses a block beyond the height with a plain error: tell that apart from a failure.
      if (error instanceof EndorseError && error.code === 'CHAINCODE_ERROR' && (await this.info()).height <= blockNumber) return undefined;
      throw error;
    }
  }

  async getTransaction(transactionId: string): Promise<FabricTransactionJson | undefined> {
    if (typeof transactionId !== 'string' || transactionId.length === 0) return undefined;
    const reader = this.#readerGateway();
    try {
      const [processed, blockBytes] = await Promise.all([
        reader.queryQscc('GetTransactionByID', transactionId),
        reader.queryQscc('GetBlockByTxID', transactionId),
      ]);
      const block = describeFabricBlock(blockBytes);
      const placed = findTransaction(block, transactionId);
      return describeProcessedTransaction(processed, block.number, placed?.txNumber ?? -1);
    } catch (error) {
      // qscc's answer for an unknown id ("no such transaction ID [...] in index") is a plain chaincode error.
      if (error instanceof EndorseError && error.code === 'CHAINCODE_ERROR') return undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const gateway of [...this.#gateways]) gateway.close();
    this.#reader?.close();
    this.#client.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #newGateway(options: ConnectOptions, onClose: (gateway: FabricGateway) => void): FabricGateway {
    const deadline = (ms: number) => () => ({ deadline: Date.now() + ms });
    const connection = connect({
      client: this.#client,
      identity: { mspId: options.identity.mspId, credentials: options.identity.credentials },
      signer: options.signer,
      // Our signer hashes (SHA-256) and signs the whole message itself.
      hash: hash.none,
      ...(this.#tlsClientCertificateHash ? { tlsClientCertificateHash: this.#tlsClientCertificateHash } : {}),
      evaluateOptions: deadline(this.#deadlines.evaluate),
      endorseOptions: deadline(this.#deadlines.endorse),
      submitOptions: deadline(this.#deadlines.submit),
      commitStatusOptions: deadline(this.#deadlines.commitStatus),
    });
    const gateway: FabricGateway = new FabricGateway(connection, {
      channel: this.channel,
      chaincode: this.chaincode,
      retry: this.#retry,
      ledgerClosed: () => this.#closed,
      onClose: () => onClose(gateway),
    });
    return gateway;
  }

  #readerGateway(): FabricGateway {
    this.#assertOpen();
    if (this.#options.reader) {
      this.#reader ??= this.#newGateway(this.#options.reader, () => {
        this.#reader = undefined;
      });
      return this.#reader;
    }
    const first = this.#gateways.values().next();
    if (first.done) {
      throw new LedgerUnavailableError('no identity to read the ledger with: pass `reader` or connect an identity first');
    }
    return first.value;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerUnavailableError('the ledger is closed');
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
