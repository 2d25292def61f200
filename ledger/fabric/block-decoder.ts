/**
 * Fabric's protobuf blocks, chain info and processed transactions in the JSON form the embedded
 * ledger gives (`describeBlock` in embedded-ledger.ts), so `/v1/ledger/*` answers look alike on
 * both ledgers:
 *
 * - block: `{ number, hash, previousHash, dataHash, commitHash?, transactions }` — hashes in hex;
 *   `hash` is Fabric's header hash (SHA-256 of DER `SEQUENCE { number, previous_hash, data_hash }`),
 *   `commitHash` the peer's COMMIT_HASH metadata when present;
 * - transaction: `{ blockNumber, txNumber, validationCode, validation, type, … }`, with for an
 *   endorser transaction `txId, creator: { mspId }, timestamp, chaincode, function, arguments,
 *   reads, writes: [{ key, isDelete }], event` (reads and writes of the chaincode's own namespace,
 *   as the embedded ledger records them) plus `endorsers` (MSP ids), and for a configuration
 *   transaction `config: { channelId, organisations: [{ mspId, rootCertificates }] }`.
 *
 * The validation code of each transaction is the block's TRANSACTIONS_FILTER metadata (one byte
 * per transaction).
 */
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';
import type { LedgerInfo } from '../client';
import { headerHash } from '../embedded/block';

export interface FabricTransactionJson {
  readonly blockNumber: number;
  readonly txNumber: number;
  readonly validationCode: number;
  readonly validation: string;
  readonly type: string;
  readonly txId?: string;
  readonly creator?: { readonly mspId: string };
  readonly timestamp?: string;
  readonly chaincode?: string;
  readonly function?: string;
  readonly arguments?: readonly string[];
  readonly reads?: number;
  readonly writes?: ReadonlyArray<{ readonly key: string; readonly isDelete: boolean }>;
  readonly event?: string;
  readonly endorsers?: readonly string[];
  readonly config?: ChannelConfigJson;
}

export interface ChannelConfigJson {
  readonly channelId: string;
  readonly organisations: ReadonlyArray<{ readonly mspId: string; readonly rootCertificates: readonly string[] }>;
}

export interface FabricBlockJson {
  readonly number: number;
  readonly hash: string;
  readonly previousHash: string;
  readonly dataHash: string;
  readonly commitHash?: string;
  readonly transactions: readonly FabricTransactionJson[];
}

const VALIDATION_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(peer.TxValidationCode).map(([name, code]) => [code as number, name] as const),
);
const HEADER_TYPE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(common.HeaderType).map(([name, code]) => [code as number, name.toLowerCase()] as const),
);

export function fabricValidationName(code: number): string {
  return VALIDATION_NAMES.get(code) ?? `CODE_${code}`;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** `common.BlockchainInfo` (qscc GetChainInfo) as our LedgerInfo. */
export function decodeChainInfo(bytes: Uint8Array): LedgerInfo {
  const info = common.BlockchainInfo.deserializeBinary(bytes);
  return {
    height: info.getHeight(),
    currentBlockHash: hex(info.getCurrentblockhash_asU8()),
    previousBlockHash: hex(info.getPreviousblockhash_asU8()),
  };
}

/** A block (protobuf bytes, as qscc GetBlockByNumber / GetBlockByTxID return it, or decoded). */
export function describeFabricBlock(input: Uint8Array | common.Block): FabricBlockJson {
  const block = input instanceof Uint8Array ? common.Block.deserializeBinary(input) : input;
  const header = block.getHeader();
  const number = header?.getNumber() ?? 0;
  const previousHash = hex(header?.getPreviousHash_asU8() ?? new Uint8Array());
  const dataHash = hex(header?.getDataHash_asU8() ?? new Uint8Array());
  const metadata = block.getMetadata()?.getMetadataList_asU8() ?? [];
  const filter = metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
  const commitHash = decodeCommitHash(metadata[common.BlockMetadataIndex.COMMIT_HASH]);
  const data = block.getData()?.getDataList_asU8() ?? [];
  return {
    number,
    hash: headerHash({ number, previousHash, dataHash }),
    previousHash,
    dataHash,
    ...(commitHash ? { commitHash } : {}),
    // A block not yet validated has no filter: Fabric's NOT_VALIDATED (254).
    transactions: data.map((envelope, index) => describeEnvelope(envelope, number, index, filter[index] ?? 254)),
  };
}

function decodeCommitHash(bytes: Uint8Array | undefined): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const value = common.Metadata.deserializeBinary(bytes).getValue_asU8();
    return value.length > 0 ? hex(value) : undefined;
  } catch {
    return undefined;
  }
}

/** The transaction `transactionId` of a block, or undefined. */
export function findTransaction(block: FabricBlockJson, transactionId: string): FabricTransactionJson | undefined {
  return block.transactions.find((tx) => tx.txId === transactionId);
}

/**
 * A transaction from qscc GetTransactionByID (`peer.ProcessedTransaction`: envelope and validation
 * code), placed at `blockNumber` / `txNumber` when known (from GetBlockByTxID).
 */
export function describeProcessedTransaction(bytes: Uint8Array, blockNumber: number, txNumber: number): FabricTransactionJson {
  const processed = peer.ProcessedTransaction.deserializeBinary(bytes);
  const envelope = processed.getTransactionenvelope();
  return describeEnvelope(envelope ? envelope.serializeBinary() : new Uint8Array(), blockNumber, txNumber, processed.getValidationcode());
}

/** One `common.Envelope` of a block. Never throws: what cannot be decoded is left out. */
export function describeEnvelope(bytes: Uint8Array, blockNumber: number, txNumber: number, validationCode: number): FabricTransactionJson {
  const base = { blockNumber, txNumber, validationCode, validation: fabricValidationName(validationCode) };
  let payload: common.Payload;
  let channelHeader: common.ChannelHeader;
  let signatureHeader: common.SignatureHeader;
  try {
    payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
    const header = payload.getHeader();
    channelHeader = common.ChannelHeader.deserializeBinary(header?.getChannelHeader_asU8() ?? new Uint8Array());
    signatureHeader = common.SignatureHeader.deserializeBinary(header?.getSignatureHeader_asU8() ?? new Uint8Array());
  } catch {
    return { ...base, type: 'unknown' };
  }
  const type = channelHeader.getType();
  if (type === common.HeaderType.CONFIG) {
    return { ...base, type: 'config', ...optional('config', decodeConfig(payload.getData_asU8(), channelHeader.getChannelId())) };
  }
  const txId = channelHeader.getTxId();
  const creator = creatorMspId(signatureHeader.getCreator_asU8());
  const timestamp = channelHeader.getTimestamp();
  const common_ = {
    ...base,
    type: type === common.HeaderType.ENDORSER_TRANSACTION ? 'endorser' : (HEADER_TYPE_NAMES.get(type) ?? `type_${type}`),
    txId,
    ...(creator !== undefined ? { creator: { mspId: creator } } : {}),
    ...(timestamp ? { timestamp: new Date(timestamp.getSeconds() * 1000 + Math.floor(timestamp.getNanos() / 1e6)).toISOString() } : {}),
  };
  if (type !== common.HeaderType.ENDORSER_TRANSACTION) return common_;
  try {
    return { ...common_, ...describeEndorserTransaction(payload.getData_asU8()) };
  } catch {
    return common_;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function creatorMspId(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return msp.SerializedIdentity.deserializeBinary(bytes).getMspid();
  } catch {
    return undefined;
  }
}

function describeEndorserTransaction(bytes: Uint8Array) {
  const transaction = peer.Transaction.deserializeBinary(bytes);
  const action = transaction.getActionsList()[0];
  if (!action) return {};
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
  const proposalPayload = peer.ChaincodeProposalPayload.deserializeBinary(actionPayload.getChaincodeProposalPayload_asU8());
  const invocation = peer.ChaincodeInvocationSpec.deserializeBinary(proposalPayload.getInput_asU8());
  const spec = invocation.getChaincodeSpec();
  const chaincode = spec?.getChaincodeId()?.getName() ?? '';
  const args = (spec?.getInput()?.getArgsList_asU8() ?? []).map(utf8);

  const endorsed = actionPayload.getAction();
  const responsePayload = peer.ProposalResponsePayload.deserializeBinary(endorsed?.getProposalResponsePayload_asU8() ?? new Uint8Array());
  const chaincodeAction = peer.ChaincodeAction.deserializeBinary(responsePayload.getExtension_asU8());
  const { reads, writes } = ownReadsAndWrites(chaincodeAction.getResults_asU8(), chaincode);
  const eventBytes = chaincodeAction.getEvents_asU8();
  const eventName = eventBytes.length > 0 ? peer.ChaincodeEvent.deserializeBinary(eventBytes).getEventName() : '';
  const endorsers = (endorsed?.getEndorsementsList() ?? [])
    .map((endorsement) => creatorMspId(endorsement.getEndorser_asU8()))
    .filter((mspId): mspId is string => mspId !== undefined);
  return {
    chaincode,
    function: args[0],
    arguments: args.slice(1),
    reads,
    writes,
    ...(eventName ? { event: eventName } : {}),
    endorsers,
  };
}

/** Reads and writes in the chaincode's namespace (Fabric also records `_lifecycle` reads). */
function ownReadsAndWrites(results: Uint8Array, namespace: string): { reads: number; writes: Array<{ key: string; isDelete: boolean }> } {
  let reads = 0;
  const writes: Array<{ key: string; isDelete: boolean }> = [];
  if (results.length === 0) return { reads, writes };
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(results);
  for (const ns of rwset.getNsRwsetList()) {
    if (ns.getNamespace() !== namespace) continue;
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    reads += kv.getReadsList().length;
    for (const write of kv.getWritesList()) writes.push({ key: write.getKey(), isDelete: write.getIsDelete() });
  }
  return { reads, writes };
}

/** The channel id and each organisation's MSP id and root certificates from a config transaction. */
function decodeConfig(data: Uint8Array, channelId: string): ChannelConfigJson | undefined {
  try {
    const config = common.ConfigEnvelope.deserializeBinary(data).getConfig();
    const channelGroup = config?.getChannelGroup();
    if (!channelGroup) return undefined;
    const organisations: Array<{ mspId: string; rootCertificates: string[] }> = [];
    const seen = new Set<string>();
    for (const section of ['Application', 'Orderer']) {
      const group = channelGroup.getGroupsMap().get(section);
      if (!group) continue;
      group.getGroupsMap().forEach((org: common.ConfigGroup) => {
        const value = org.getValuesMap().get('MSP');
        if (!value) return;
        const mspConfig = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
        if (mspConfig.getType() !== 0) return; // 0: FABRIC (X.509); 1: IDEMIX
        const fabricMsp = msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
        const mspId = fabricMsp.getName();
        if (seen.has(mspId)) return;
        seen.add(mspId);
        organisations.push({ mspId, rootCertificates: fabricMsp.getRootCertsList_asU8().map(utf8) });
      });
    }
    organisations.sort((a, b) => (a.mspId < b.mspId ? -1 : a.mspId > b.mspId ? 1 : 0));
    return { channelId, organisations };
  } catch {
    return undefined;
  }
}
