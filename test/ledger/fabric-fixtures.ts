/**
 * Fabric protobuf fixtures for the Fabric client's tests, built with @hyperledger/fabric-protos as
 * a peer would build them: endorser and config transaction envelopes, blocks with their
 * TRANSACTIONS_FILTER and COMMIT_HASH metadata, and fabric-gateway errors made exactly the way
 * fabric-gateway makes them from a gRPC status with `grpc-status-details-bin` details.
 */
import { createHash } from 'node:crypto';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { CommitStatusError, EndorseError as GatewayEndorseError } from '@hyperledger/fabric-gateway';
import { common, gateway, google, ledger, msp, peer } from '@hyperledger/fabric-protos';

// Not exported from fabric-gateway's index: the very functions its gRPC client uses.
const { newGatewayError } = require('@hyperledger/fabric-gateway/dist/gatewayerror') as {
  newGatewayError: (error: ServiceError) => Error & { code: number; details: unknown[] };
};
const { SubmitError } = require('@hyperledger/fabric-gateway/dist/submiterror') as {
  SubmitError: new (properties: object) => Error;
};
const { Any } = require('google-protobuf/google/protobuf/any_pb') as {
  Any: new () => { setTypeUrl(url: string): void; setValue(value: Uint8Array): void };
};
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb') as {
  Timestamp: new () => { setSeconds(s: number): void; setNanos(n: number): void };
};

export interface EndorserTxSpec {
  readonly channelId: string;
  readonly txId: string;
  readonly mspId: string;
  readonly certificate?: string;
  readonly chaincode: string;
  readonly args: readonly string[];
  readonly result?: Uint8Array | string;
  readonly reads?: readonly string[];
  readonly writes?: ReadonlyArray<{ key: string; value?: string; isDelete?: boolean }>;
  /** Reads recorded in another namespace (Fabric's `_lifecycle`): must not be counted. */
  readonly lifecycleReads?: number;
  readonly event?: { readonly name: string; readonly payload: string };
  readonly timestampMs?: number;
  readonly endorsers?: readonly string[];
}

function serializedIdentity(mspId: string, certificate = `-----BEGIN CERTIFICATE-----\n${mspId}\n-----END CERTIFICATE-----\n`): Uint8Array {
  const identity = new msp.SerializedIdentity();
  identity.setMspid(mspId);
  identity.setIdBytes(Buffer.from(certificate));
  return identity.serializeBinary();
}

function kvRwset(reads: readonly string[], writes: EndorserTxSpec['writes'] = []): Uint8Array {
  const kv = new ledger.rwset.kvrwset.KVRWSet();
  kv.setReadsList(
    reads.map((key) => {
      const read = new ledger.rwset.kvrwset.KVRead();
      read.setKey(key);
      const version = new ledger.rwset.kvrwset.Version();
      version.setBlockNum(1);
      version.setTxNum(0);
      read.setVersion(version);
      return read;
    }),
  );
  kv.setWritesList(
    writes.map((w) => {
      const write = new ledger.rwset.kvrwset.KVWrite();
      write.setKey(w.key);
      write.setIsDelete(w.isDelete ?? false);
      write.setValue(Buffer.from(w.value ?? ''));
      return write;
    }),
  );
  return kv.serializeBinary();
}

/** The channel and signature headers of a transaction, as in its proposal. */
export function transactionHeader(spec: { channelId: string; txId: string; mspId: string; certificate?: string; type?: number; timestampMs?: number }): common.Header {
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(spec.type ?? common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(spec.channelId);
  channelHeader.setTxId(spec.txId);
  const ms = spec.timestampMs ?? Date.UTC(2025, 2, 1, 8, 0, 0, 123);
  const timestamp = new Timestamp();
  timestamp.setSeconds(Math.floor(ms / 1000));
  timestamp.setNanos((ms % 1000) * 1e6);
  channelHeader.setTimestamp(timestamp as never);
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(serializedIdentity(spec.mspId, spec.certificate));
  signatureHeader.setNonce(Buffer.from('nonce'));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  return header;
}

/** A `peer.Transaction` (the payload data of an endorser transaction). */
export function endorserTransaction(spec: EndorserTxSpec, header: common.Header = transactionHeader(spec)): peer.Transaction {
  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(spec.chaincode);
  const input = new peer.ChaincodeInput();
  input.setArgsList(spec.args.map((arg) => Buffer.from(arg)));
  const chaincodeSpec = new peer.ChaincodeSpec();
  chaincodeSpec.setChaincodeId(chaincodeId);
  chaincodeSpec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(chaincodeSpec);
  const proposalPayload = new peer.ChaincodeProposalPayload();
  proposalPayload.setInput(invocation.serializeBinary());

  const txRwset = new ledger.rwset.TxReadWriteSet();
  const namespaces: ledger.rwset.NsReadWriteSet[] = [];
  if (spec.lifecycleReads) {
    const ns = new ledger.rwset.NsReadWriteSet();
    ns.setNamespace('_lifecycle');
    ns.setRwset(kvRwset(Array.from({ length: spec.lifecycleReads }, (_, i) => `namespaces/fields/${spec.chaincode}/${i}`)));
    namespaces.push(ns);
  }
  const own = new ledger.rwset.NsReadWriteSet();
  own.setNamespace(spec.chaincode);
  own.setRwset(kvRwset(spec.reads ?? [], spec.writes));
  namespaces.push(own);
  txRwset.setNsRwsetList(namespaces);

  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(typeof spec.result === 'string' ? Buffer.from(spec.result) : (spec.result ?? new Uint8Array()));
  const action = new peer.ChaincodeAction();
  action.setResults(txRwset.serializeBinary());
  action.setResponse(response);
  action.setChaincodeId(chaincodeId);
  if (spec.event) {
    const event = new peer.ChaincodeEvent();
    event.setChaincodeId(spec.chaincode);
    event.setTxId(spec.txId);
    event.setEventName(spec.event.name);
    event.setPayload(Buffer.from(spec.event.payload));
    action.setEvents(event.serializeBinary());
  }
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setProposalHash(createHash('sha256').update(spec.txId).digest());
  responsePayload.setExtension$(action.serializeBinary());

  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responsePayload.serializeBinary());
  endorsed.setEndorsementsList(
    (spec.endorsers ?? [spec.mspId]).map((mspId) => {
      const endorsement = new peer.Endorsement();
      endorsement.setEndorser(serializedIdentity(mspId));
      endorsement.setSignature(Buffer.from('signature'));
      return endorsement;
    }),
  );
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setChaincodeProposalPayload(proposalPayload.serializeBinary());
  actionPayload.setAction(endorsed);
  const transactionAction = new peer.TransactionAction();
  transactionAction.setHeader(header.getSignatureHeader_asU8());
  transactionAction.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([transactionAction]);
  return transaction;
}

export function endorserEnvelope(spec: EndorserTxSpec): common.Envelope {
  const header = transactionHeader(spec);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(endorserTransaction(spec, header).serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  envelope.setSignature(Buffer.from('client signature'));
  return envelope;
}

/** A channel configuration transaction naming each organisation's MSP and root certificate. */
export function configEnvelope(channelId: string, organisations: ReadonlyArray<{ mspId: string; rootCertificate: string }>): common.Envelope {
  const application = new common.ConfigGroup();
  for (const org of organisations) {
    const fabricMsp = new msp.FabricMSPConfig();
    fabricMsp.setName(org.mspId);
    fabricMsp.setRootCertsList([Buffer.from(org.rootCertificate)]);
    const mspConfig = new msp.MSPConfig();
    mspConfig.setType(0);
    mspConfig.setConfig(fabricMsp.serializeBinary());
    const value = new common.ConfigValue();
    value.setValue(mspConfig.serializeBinary());
    const group = new common.ConfigGroup();
    group.getValuesMap().set('MSP', value);
    application.getGroupsMap().set(org.mspId, group);
  }
  const channelGroup = new common.ConfigGroup();
  channelGroup.getGroupsMap().set('Application', application);
  const config = new common.Config();
  config.setChannelGroup(channelGroup);
  const configEnvelope = new common.ConfigEnvelope();
  configEnvelope.setConfig(config);
  const payload = new common.Payload();
  payload.setHeader(transactionHeader({ channelId, txId: '', mspId: 'OrdererMSP', type: common.HeaderType.CONFIG }));
  payload.setData(configEnvelope.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope;
}

/** A committed block: header with Fabric's data hash, TRANSACTIONS_FILTER and COMMIT_HASH metadata. */
export function buildBlock(number: number, previousHash: Uint8Array, envelopes: readonly common.Envelope[], codes: readonly number[], commitHash?: Uint8Array): common.Block {
  const data = envelopes.map((envelope) => envelope.serializeBinary());
  const header = new common.BlockHeader();
  header.setNumber(number);
  header.setPreviousHash(previousHash);
  header.setDataHash(createHash('sha256').update(Buffer.concat(data)).digest());
  const blockData = new common.BlockData();
  blockData.setDataList(data);
  const metadataList: Uint8Array[] = [new Uint8Array(), new Uint8Array(), Uint8Array.from(codes), new Uint8Array(), new Uint8Array()];
  if (commitHash) {
    const metadata = new common.Metadata();
    metadata.setValue(commitHash);
    metadataList[common.BlockMetadataIndex.COMMIT_HASH] = metadata.serializeBinary();
  }
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList(metadataList);
  const block = new common.Block();
  block.setHeader(header);
  block.setData(blockData);
  block.setMetadata(metadata);
  return block;
}

/** Fabric's header hash (SHA-256 of DER SEQUENCE { INTEGER, OCTET STRING, OCTET STRING }), independently of the code under test. */
export function fabricHeaderHash(block: common.Block): Buffer {
  const header = block.getHeader() as common.BlockHeader;
  const tlv = (tag: number, body: Buffer): Buffer => {
    const len = body.length;
    const lenBytes = len < 0x80 ? Buffer.of(len) : len < 0x100 ? Buffer.of(0x81, len) : Buffer.of(0x82, len >> 8, len & 0xff);
    return Buffer.concat([Buffer.of(tag), lenBytes, body]);
  };
  let n = header.getNumber().toString(16);
  if (n.length % 2) n = `0${n}`;
  let int = Buffer.from(n, 'hex');
  if ((int[0] ?? 0) & 0x80) int = Buffer.concat([Buffer.of(0), int]);
  const der = tlv(0x30, Buffer.concat([tlv(0x02, int), tlv(0x04, Buffer.from(header.getPreviousHash_asU8())), tlv(0x04, Buffer.from(header.getDataHash_asU8()))]));
  return createHash('sha256').update(der).digest();
}

export interface Detail {
  readonly address?: string;
  readonly mspId?: string;
  readonly message: string;
}

/** A grpc-js ServiceError as its client builds one from a status with Fabric error details. */
export function serviceError(code: number, message: string, details: readonly Detail[] = []): ServiceError {
  const metadata = new Metadata();
  if (details.length > 0) {
    const status = new google.rpc.Status();
    status.setCode(code);
    status.setMessage(message);
    status.setDetailsList(
      details.map((detail) => {
        const errorDetail = new gateway.ErrorDetail();
        errorDetail.setAddress(detail.address ?? 'peer0.example.com:7051');
        errorDetail.setMspId(detail.mspId ?? 'Org1MSP');
        errorDetail.setMessage(detail.message);
        const any = new Any();
        any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
        any.setValue(errorDetail.serializeBinary());
        return any as never;
      }),
    );
    metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  }
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${message}`), { code, details: message, metadata }) as ServiceError;
}

/**
 * The error fabric-gateway's client throws for a failed call of `kind`: a GatewayError (evaluate),
 * or an EndorseError / SubmitError / CommitStatusError carrying the transaction id.
 */
export function gatewayError(kind: 'evaluate' | 'endorse' | 'submit' | 'commitStatus', code: number, message: string, details: readonly Detail[] = [], transactionId = 'tx-1'): Error {
  const error = newGatewayError(serviceError(code, message, details));
  switch (kind) {
    case 'evaluate':
      return error;
    case 'endorse':
      return new GatewayEndorseError(Object.assign(error, { transactionId }) as never);
    case 'submit':
      return new SubmitError(Object.assign(error, { transactionId }));
    case 'commitStatus':
      return new CommitStatusError(Object.assign(error, { transactionId }) as never);
  }
}
