/**
 * The embedded ledger: Fabric's execute–order–validate transaction flow on one machine.
 *
 * 1. **Endorse**: a signed proposal is checked (creator is a channel member, signature verifies,
 *    transaction id derives from nonce + creator) and simulated by the chaincode against a
 *    snapshot of committed state, producing a read/write set.
 * 2. **Order**: endorsed transactions are cut into blocks by count or timeout.
 * 3. **Validate and commit**: each transaction is MVCC/phantom-validated in block order; the
 *    block is appended to the block files, then valid state updates, history and indexes are
 *    written in one atomic LevelDB batch (the commit).
 *
 * After a crash the ledger reopens at the last whole block; `verifyLedger` re-walks the chain.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { ChaincodeEvent, ConnectOptions, Gateway, Ledger, LedgerInfo } from '../client';
import { EndorseError, LedgerUnavailableError, ValidationCode, validationCodeName } from '../errors';
import { BlockCutter, type BlockCutterOptions } from './block-cutter';
import {
  commitHash,
  dataHash,
  headerHash,
  serializeBlock,
  type ChannelConfig,
  type Envelope,
  type StoredBlock,
  type TransactionEnvelope,
} from './block';
import { ChaincodeRuntime, type ChaincodeDefinition } from './chaincode-runtime';
import { EmbeddedGateway, type EmbeddedGatewayOptions } from './embedded-gateway';
import {
  META_COMMIT_HASH,
  META_HEIGHT,
  HISTORY_ENTRY,
  META_LAST_HASH,
  encodeVersioned,
  historyKey,
  stateKey,
  txKey,
} from './keys';
import { LedgerStore, type StoreOperation } from './ledger-store';
import { IdentityRefusedError, Membership } from './membership';
import { computeTxId, parseProposal, transientHash, type Proposal, type SignedProposal } from './proposal';
import type { ReadWriteSet } from './rwset';
import { SimulationHandler } from './simulation-handler';
import { validateBlock } from './validator';

export interface EmbeddedLedgerOptions {
  /** Folder of the LevelDB database (created if missing). */
  readonly path: string;
  /** The channel configuration written into the genesis block of a new ledger; ignored when one exists. */
  readonly channel: ChannelConfig;
  readonly chaincodes: readonly ChaincodeDefinition[];
  readonly blockCutter?: Partial<BlockCutterOptions>;
  /**
   * fsync each block (default true): survives power loss, not only a killed process. Without it
   * an operating-system crash can keep the index's record of a block whose file bytes were lost;
   * the ledger then refuses to open ("blocks were lost") rather than serve a broken chain.
   */
  readonly sync?: boolean;
}

/** What endorsement produces: the transaction, ready to be ordered. */
export interface EndorsedTransaction {
  readonly txId: string;
  readonly serialized: string;
  readonly rwset: ReadWriteSet;
  readonly payload: Buffer;
  readonly timestamp: Proposal['timestamp'];
  /** The chaincode event, as in `serialized` (kept parsed so listeners need not parse the block). */
  readonly event?: { readonly chaincodeName: string; readonly name: string; readonly payload: Buffer };
}

export interface CommitStatus {
  readonly blockNumber: number;
  readonly code: number;
}

interface OrderedTransaction {
  readonly endorsed: EndorsedTransaction;
  readonly settle: (status: CommitStatus | Error) => void;
}

export const DEFAULT_BLOCK_CUTTER: BlockCutterOptions = { maxTransactions: 500, timeoutMs: 20, cutWhenIdle: true };

export class EmbeddedLedger implements Ledger {
  readonly channel: ChannelConfig;
  readonly #store: LedgerStore;
  readonly #membership: Membership;
  readonly #chaincodes: ReadonlyMap<string, ChaincodeRuntime>;
  readonly #cutter: BlockCutter<OrderedTransaction>;
  readonly #sync: boolean;
  readonly #blocks = new EventEmitter();
  #height: number;
  #lastHash: string;
  /** Header hash of block `height - 2` ('' below two blocks); undefined until first asked after open. */
  #previousHash: string | undefined;
  #commitHash: string;
  /** The newest block, and its events by transaction index (listeners read it without parsing). */
  #recent: { number: number; block: StoredBlock; txIds: readonly string[]; events: ReadonlyArray<EndorsedTransaction['event']> } | undefined;
  #closed = false;

  private constructor(
    store: LedgerStore,
    channel: ChannelConfig,
    chaincodes: readonly ChaincodeDefinition[],
    options: EmbeddedLedgerOptions,
  ) {
    this.#store = store;
    this.channel = channel;
    this.#membership = new Membership(channel);
    this.#chaincodes = new Map(chaincodes.map((definition) => [definition.name, new ChaincodeRuntime(definition)]));
    this.#cutter = new BlockCutter({ ...DEFAULT_BLOCK_CUTTER, ...options.blockCutter }, (batch) => this.#commit(batch));
    this.#sync = options.sync ?? true;
    const meta = store.readMeta();
    this.#height = meta.height;
    this.#lastHash = meta.lastHash;
    this.#commitHash = meta.commitHash;
    this.#blocks.setMaxListeners(0);
  }

  /** Opens the ledger at `path`, creating it with a genesis block for `channel` if it is new. */
  static async open(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    mkdirSync(options.path, { recursive: true });
    const store = new LedgerStore(options.path);
    await store.open();
    try {
      let channel = options.channel;
      if (store.readMeta().height === 0) {
        await writeGenesis(store, options.channel);
      } else {
        const genesis = await store.getBlock(0);
        const config = genesis ? (JSON.parse(genesis.data[0] as string) as Envelope) : undefined;
        if (config?.type !== 'config') throw new Error('the ledger has no genesis configuration block');
        channel = config.config;
      }
      return new EmbeddedLedger(store, channel, options.chaincodes, options);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  connect(options: ConnectOptions & EmbeddedGatewayOptions): Gateway {
    return new EmbeddedGateway(this, options);
  }

  get chaincodeNames(): string[] {
    return [...this.#chaincodes.keys()];
  }

  get height(): number {
    return this.#height;
  }

  async info(): Promise<LedgerInfo> {
    this.#assertOpen();
    // Kept up to date by #commit; read once after open (a block can be megabytes: not per call).
    if (this.#previousHash === undefined) {
      const height = this.#height;
      const previous = height > 1 ? await this.#readBlock(height - 2) : undefined;
      if (this.#previousHash === undefined && this.#height === height) this.#previousHash = previous ? headerHash(previous.header) : '';
    }
    return {
      height: this.#height,
      currentBlockHash: this.#lastHash,
      previousBlockHash: this.#previousHash ?? '',
    };
  }

  async getBlock(blockNumber: number): Promise<unknown | undefined> {
    this.#assertOpen();
    if (!Number.isSafeInteger(blockNumber) || blockNumber < 0 || blockNumber >= this.#height) return undefined;
    const block = await this.#readBlock(blockNumber);
    return block ? describeBlock(block) : undefined;
  }

  async getTransaction(transactionId: string): Promise<unknown | undefined> {
    this.#assertOpen();
    const location = this.#store.getTxLocation(transactionId);
    if (!location) return undefined;
    const block = await this.#readBlock(location.block);
    const described = block ? describeBlock(block) : undefined;
    return described?.transactions[location.tx];
  }

  /** Endorsement: authenticate the proposal and simulate it. Throws EndorseError on refusal. */
  async endorse(signed: SignedProposal): Promise<EndorsedTransaction> {
    const { proposal, result } = await this.#simulate(signed);
    const envelope: TransactionEnvelope = {
      type: 'endorser',
      proposal: signed.bytes.toString('utf8'),
      signature: signed.signature.toString('base64'),
      rwset: result.rwset,
      response: { status: result.status, payload: result.payload.toString('base64') },
      ...(result.event
        ? { event: { name: result.event.name, payload: result.event.payload.toString('base64') } }
        : {}),
    };
    return {
      txId: proposal.txId,
      serialized: JSON.stringify(envelope),
      rwset: result.rwset,
      payload: result.payload,
      timestamp: proposal.timestamp,
      ...(result.event ? { event: { chaincodeName: proposal.chaincodeName, name: result.event.name, payload: result.event.payload } } : {}),
    };
  }

  /** A query: simulate and return the chaincode's answer; nothing is ordered. */
  async evaluate(signed: SignedProposal): Promise<Buffer> {
    return (await this.#simulate(signed)).result.payload;
  }

  /** Orders an endorsed transaction; resolves once its block is committed. */
  order(endorsed: EndorsedTransaction): Promise<CommitStatus> {
    this.#assertOpen();
    return new Promise((resolve, reject) => {
      this.#cutter.enqueue({
        endorsed,
        settle: (status) => (status instanceof Error ? reject(status) : resolve(status)),
      });
    });
  }

  /** Chaincode events of valid transactions from `startBlock` on, in order, then live ones. */
  async *chaincodeEvents(chaincodeName: string, startBlock: number, signal?: AbortSignal): AsyncGenerator<ChaincodeEvent> {
    for (let number = startBlock; ; number++) {
      while (number >= this.#height) {
        if (this.#closed || signal?.aborted) return;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.#blocks.off('block', done);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          this.#blocks.on('block', done);
          signal?.addEventListener('abort', done);
        });
      }
      if (signal?.aborted) return;
      const recent = this.#recent;
      if (recent?.number === number) {
        for (const [index, event] of recent.events.entries()) {
          if (!event || event.chaincodeName !== chaincodeName || recent.block.metadata.validationCodes[index] !== ValidationCode.VALID) continue;
          yield { blockNumber: number, transactionId: recent.txIds[index] as string, chaincodeName, eventName: event.name, payload: event.payload };
        }
        continue;
      }
      const block = await this.#readBlock(number);
      if (!block) return;
      for (const [index, text] of block.data.entries()) {
        if (block.metadata.validationCodes[index] !== ValidationCode.VALID) continue;
        const envelope = JSON.parse(text) as Envelope;
        if (envelope.type !== 'endorser' || !envelope.event) continue;
        const proposal = JSON.parse(envelope.proposal) as Proposal;
        if (proposal.chaincodeName !== chaincodeName) continue;
        yield {
          blockNumber: number,
          transactionId: proposal.txId,
          chaincodeName,
          eventName: envelope.event.name,
          payload: Buffer.from(envelope.event.payload, 'base64'),
        };
      }
    }
  }

  /** Commits everything pending, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#cutter.drain();
    this.#closed = true;
    this.#blocks.emit('block');
    await this.#membership.close();
    await this.#store.close();
  }

  /** The underlying store, for verification tools. */
  get store(): LedgerStore {
    return this.#store;
  }

  async #simulate(signed: SignedProposal) {
    this.#assertOpen();
    let proposal: Proposal;
    try {
      proposal = parseProposal(signed.bytes);
    } catch (error) {
      throw new EndorseError(`malformed proposal: ${(error as Error).message}`, { code: 'BAD_PROPOSAL' });
    }
    const refuse = (message: string, code = 'FORBIDDEN'): never => {
      throw new EndorseError(message, { code, transactionId: proposal.txId });
    };
    if (proposal.channelId !== this.channel.channelId) refuse(`unknown channel ${proposal.channelId}`, 'BAD_PROPOSAL');
    const chaincode = this.#chaincodes.get(proposal.chaincodeName);
    if (!chaincode) refuse(`chaincode ${proposal.chaincodeName} is not defined on the channel`, 'BAD_PROPOSAL');
    if (computeTxId(Buffer.from(proposal.nonce, 'base64'), proposal.creator) !== proposal.txId) {
      refuse('transaction id does not derive from the nonce and creator', 'BAD_PROPOSAL');
    }
    if (transientHash(signed.transient) !== proposal.transientHash) {
      refuse('transient data does not match the signed proposal', 'BAD_PROPOSAL');
    }
    let publicKey;
    try {
      publicKey = await this.#membership.validateCreator(proposal.creator);
    } catch (error) {
      if (error instanceof IdentityRefusedError) refuse(`access denied: ${error.message}`);
      throw error;
    }
    if (!(await this.#membership.verifySignature(publicKey, signed.bytes, signed.signature))) {
      refuse('access denied: the proposal signature does not verify with the creator certificate');
    }

    const snapshot = this.#store.acquireSnapshot();
    try {
      const handler = new SimulationHandler(this.#store, snapshot, proposal.chaincodeName);
      const invocation = await (chaincode as ChaincodeRuntime).invoke(proposal, signed.transient, handler);
      if (invocation.status >= 400) {
        throw new EndorseError(invocation.message || `chaincode response ${invocation.status}`, {
          transactionId: proposal.txId,
        });
      }
      let rwset: ReadWriteSet;
      try {
        rwset = handler.readWriteSet();
      } catch (error) {
        throw new EndorseError((error as Error).message, { transactionId: proposal.txId });
      }
      return { proposal, result: { ...invocation, rwset } };
    } finally {
      snapshot.release();
    }
  }

  async #commit(batch: OrderedTransaction[]): Promise<void> {
    try {
      const number = this.#height;
      const candidates = batch.map(({ endorsed }) => endorsed);
      const { codes, updates } = await validateBlock(this.#store, number, candidates);
      const data = candidates.map((tx) => tx.serialized);
      const header = { number, previousHash: this.#lastHash, dataHash: dataHash(data) };
      const nextCommitHash = commitHash(this.#commitHash, number, codes, updates);
      const block: StoredBlock = { header, data, metadata: { validationCodes: codes, commitHash: nextCommitHash } };
      const hash = headerHash(header);

      const ops: StoreOperation[] = [];
      for (const [index, tx] of candidates.entries()) {
        // The first of duplicate ids keeps its index entry.
        if (codes[index] !== ValidationCode.DUPLICATE_TXID) {
          ops.push({ type: 'put', key: txKey(tx.txId), value: Buffer.from(JSON.stringify({ block: number, tx: index, code: codes[index] })) });
        }
      }
      for (const update of updates) {
        const tx = candidates[update.txIndex] as EndorsedTransaction;
        const namespace = tx.rwset.namespace;
        const key = stateKey(namespace, update.key);
        if (update.isDelete) ops.push({ type: 'del', key });
        else ops.push({ type: 'put', key, value: encodeVersioned(update.version, Buffer.from(update.value ?? '', 'base64')) });
        // The history index holds no value, as Fabric's: the key names the transaction that wrote it.
        ops.push({ type: 'put', key: historyKey(namespace, update.key, update.version), value: HISTORY_ENTRY });
      }
      ops.push({ type: 'put', key: META_HEIGHT, value: Buffer.from(String(number + 1)) });
      ops.push({ type: 'put', key: META_LAST_HASH, value: Buffer.from(hash) });
      ops.push({ type: 'put', key: META_COMMIT_HASH, value: Buffer.from(nextCommitHash) });
      await this.#store.commitBlock(number, Buffer.from(serializeBlock(block)), ops, this.#sync);

      this.#height = number + 1;
      this.#previousHash = this.#lastHash;
      this.#lastHash = hash;
      this.#commitHash = nextCommitHash;
      this.#recent = { number, block, txIds: candidates.map((tx) => tx.txId), events: candidates.map((tx) => tx.event) };
      this.#store.refreshSnapshot();
      for (const [index, item] of batch.entries()) item.settle({ blockNumber: number, code: codes[index] as number });
      this.#blocks.emit('block');
    } catch (error) {
      const failure = new LedgerUnavailableError(`block commit failed: ${(error as Error).message}`, { cause: error });
      for (const item of batch) item.settle(failure);
    }
  }

  async #readBlock(number: number): Promise<StoredBlock | undefined> {
    if (this.#recent?.number === number) return this.#recent.block;
    return this.#store.getBlock(number);
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerUnavailableError('the ledger is closed');
  }
}

async function writeGenesis(store: LedgerStore, channel: ChannelConfig): Promise<void> {
  const data = [JSON.stringify({ type: 'config', config: channel } satisfies Envelope)];
  const header = { number: 0, previousHash: '', dataHash: dataHash(data) };
  const hash = commitHash('', 0, [ValidationCode.VALID], []);
  const block: StoredBlock = { header, data, metadata: { validationCodes: [ValidationCode.VALID], commitHash: hash } };
  await store.commitBlock(
    0,
    Buffer.from(serializeBlock(block)),
    [
      { type: 'put', key: META_HEIGHT, value: Buffer.from('1') },
      { type: 'put', key: META_LAST_HASH, value: Buffer.from(headerHash(header)) },
      { type: 'put', key: META_COMMIT_HASH, value: Buffer.from(hash) },
    ],
    true,
  );
  store.refreshSnapshot();
}

/** A block in readable form, for auditors: header hash, decoded transactions, validation codes. */
export function describeBlock(block: StoredBlock) {
  return {
    number: block.header.number,
    hash: headerHash(block.header),
    previousHash: block.header.previousHash,
    dataHash: block.header.dataHash,
    commitHash: block.metadata.commitHash,
    transactions: block.data.map((text, index) => {
      const envelope = JSON.parse(text) as Envelope;
      const code = block.metadata.validationCodes[index] ?? -1;
      const common = { blockNumber: block.header.number, txNumber: index, validationCode: code, validation: validationCodeName(code) };
      if (envelope.type === 'config') return { ...common, type: 'config', config: envelope.config };
      const proposal = JSON.parse(envelope.proposal) as Proposal;
      const args = proposal.args.map((arg) => Buffer.from(arg, 'base64').toString('utf8'));
      return {
        ...common,
        type: 'endorser',
        txId: proposal.txId,
        creator: { mspId: proposal.creator.mspId },
        timestamp: new Date(proposal.timestamp.seconds * 1000 + Math.floor(proposal.timestamp.nanos / 1e6)).toISOString(),
        chaincode: proposal.chaincodeName,
        function: args[0],
        arguments: args.slice(1),
        reads: envelope.rwset.reads.length,
        writes: envelope.rwset.writes.map((write) => ({ key: write.key, isDelete: write.isDelete })),
        event: envelope.event?.name,
      };
    }),
  };
}
