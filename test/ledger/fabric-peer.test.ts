/**
 * FabricLedger end to end against a fake peer gateway service: a real gRPC server over TLS that
 * speaks Fabric's Gateway protocol (Evaluate, Endorse, Submit, CommitStatus, ChaincodeEvents)
 * with fabric-protos messages, and checks every signature the way a peer does — low-S ECDSA
 * P-256 over SHA-256 of the signed bytes with the creator's certificate. So these tests hold the
 * real fabric-gateway client to our `hash.none` + node:crypto signer, and exercise deadlines,
 * error details, MVCC retries, qscc reads and event resume through the real wire.
 */
import { createHash, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { common, gateway, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { newNodeSigner, verifyNodeSignature } from '../../certs/signer';
import type { ConnectOptions } from '../../ledger/client';
import { EndorseError, LedgerUnavailableError, ValidationCode } from '../../ledger/errors';
import { FileCheckpointer } from '../../ledger/file-checkpointer';
import { FabricLedger, type FabricLedgerOptions } from '../../ledger/fabric';
import { buildBlock, configEnvelope, endorserEnvelope, endorserTransaction, fabricHeaderHash, serviceError } from './fabric-fixtures';

const CHANNEL = 'licensechain';
const CHAINCODE = 'licensechain';
const PEER_HOST = 'peer0.fake.example';
const MSP = 'AgencyAMSP';

interface Parsed {
  readonly txId: string;
  readonly channelId: string;
  readonly mspId: string;
  readonly chaincode: string;
  readonly fn: string;
  readonly args: string[];
  readonly header: common.Header;
}

/** What the fake peer saw. */
interface Seen {
  verified: number;
  refused: number;
  endorsed: string[];
  submitted: string[];
  eventRequests: Array<{ start: number | undefined; afterTransactionId: string }>;
}

const chain = (() => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const blocks: common.Block[] = [];
  const add = (envelopes: common.Envelope[], codes: number[]): void => {
    const previous = blocks.at(-1);
    blocks.push(buildBlock(blocks.length, previous ? fabricHeaderHash(previous) : new Uint8Array(), envelopes, codes));
  };
  add([configEnvelope(CHANNEL, [{ mspId: MSP, rootCertificate: pem }])], [0]);
  add([endorserEnvelope({ channelId: CHANNEL, txId: 'tx-put', mspId: MSP, chaincode: CHAINCODE, args: ['Put', 'k', 'v'], writes: [{ key: 'k', value: 'v' }], event: { name: 'Put', payload: 'k' } })], [0]);
  add(
    [
      endorserEnvelope({ channelId: CHANNEL, txId: 'tx-a', mspId: MSP, chaincode: CHAINCODE, args: ['Emit', 'a'], event: { name: 'E', payload: 'a' } }),
      endorserEnvelope({ channelId: CHANNEL, txId: 'tx-b', mspId: MSP, chaincode: CHAINCODE, args: ['Emit', 'b'], event: { name: 'E', payload: 'b' } }),
      endorserEnvelope({ channelId: CHANNEL, txId: 'tx-bad', mspId: MSP, chaincode: CHAINCODE, args: ['Emit', 'x'], reads: ['k'] }),
    ],
    [0, 0, ValidationCode.MVCC_READ_CONFLICT],
  );
  return blocks;
})();

/** Chaincode events of valid transactions per block, as the peer's gateway streams them. */
const EVENTS: Array<{ block: number; txId: string; name: string; payload: string }> = [
  { block: 1, txId: 'tx-put', name: 'Put', payload: 'k' },
  { block: 2, txId: 'tx-a', name: 'E', payload: 'a' },
  { block: 2, txId: 'tx-b', name: 'E', payload: 'b' },
];

function bytesOf(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : value;
}

/** Verifies `signature` over `data` by the serialized identity `creator`, as a peer's MSP would. */
function verifiedCreator(seen: Seen, creatorBytes: Uint8Array, data: Uint8Array, signature: Uint8Array): string | undefined {
  const creator = msp.SerializedIdentity.deserializeBinary(creatorBytes);
  const certificate = Buffer.from(creator.getIdBytes_asU8()).toString('utf8');
  let ok = false;
  try {
    ok = verifyNodeSignature(certificate, data, signature);
  } catch {
    ok = false;
  }
  if (ok) seen.verified++;
  else seen.refused++;
  return ok ? creator.getMspid() : undefined;
}

function parseProposal(seen: Seen, signed: peer.SignedProposal | undefined): Parsed | grpc.ServiceError {
  if (!signed) return serviceError(grpc.status.INVALID_ARGUMENT, 'a signed proposal is required');
  const proposalBytes = signed.getProposalBytes_asU8();
  const proposal = peer.Proposal.deserializeBinary(proposalBytes);
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  const mspId = verifiedCreator(seen, signatureHeader.getCreator_asU8(), proposalBytes, signed.getSignature_asU8());
  if (mspId === undefined) {
    return serviceError(grpc.status.FAILED_PRECONDITION, 'failed to endorse transaction, see attached details for more info', [
      { message: `error validating proposal: access denied: channel [${channelHeader.getChannelId()}] creator org [${MSP}]` },
    ]);
  }
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec();
  const args = (spec?.getInput()?.getArgsList_asU8() ?? []).map((a) => Buffer.from(a).toString('utf8'));
  return { txId: channelHeader.getTxId(), channelId: channelHeader.getChannelId(), mspId, chaincode: spec?.getChaincodeId()?.getName() ?? '', fn: args[0] ?? '', args: args.slice(1), header };
}

const chaincodeError = (kind: 'evaluate' | 'endorse', message: string): grpc.ServiceError =>
  kind === 'evaluate'
    ? serviceError(grpc.status.UNKNOWN, `evaluate call to endorser returned error: chaincode response 500, ${message}`, [{ message: `chaincode response 500, ${message}` }])
    : serviceError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [{ message: `chaincode response 500, ${message}` }]);

/** The fake peer's chaincodes: the result bytes, or a gRPC error. */
function run(call: Parsed, kind: 'evaluate' | 'endorse'): Uint8Array | grpc.ServiceError {
  if (call.chaincode === 'qscc') {
    const [channel, arg] = call.args;
    if (channel !== CHANNEL) return chaincodeError(kind, `Failed to get ledger for channel ${channel}`);
    switch (call.fn) {
      case 'GetChainInfo': {
        const info = new common.BlockchainInfo();
        info.setHeight(chain.length);
        info.setCurrentblockhash(fabricHeaderHash(chain.at(-1) as common.Block));
        info.setPreviousblockhash(fabricHeaderHash(chain.at(-2) as common.Block));
        return info.serializeBinary();
      }
      case 'GetBlockByNumber': {
        const block = chain[Number(arg)];
        return block ? block.serializeBinary() : chaincodeError(kind, `Failed to get block number ${arg}, error Entry not found in index`);
      }
      case 'GetBlockByTxID':
      case 'GetTransactionByID': {
        for (const block of chain) {
          const data = block.getData()?.getDataList_asU8() ?? [];
          for (const [index, bytes] of data.entries()) {
            const envelope = common.Envelope.deserializeBinary(bytes);
            const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
            const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array());
            if (!arg || channelHeader.getTxId() !== arg) continue;
            if (call.fn === 'GetBlockByTxID') return block.serializeBinary();
            const processed = new peer.ProcessedTransaction();
            processed.setTransactionenvelope(envelope);
            processed.setValidationcode(block.getMetadata()?.getMetadataList_asU8()[2]?.[index] ?? 254);
            return processed.serializeBinary();
          }
        }
        return chaincodeError(kind, `Failed to get transaction with id ${arg}, error no such transaction ID [${arg}] in index`);
      }
      default:
        return chaincodeError(kind, `Requested function ${call.fn} not found.`);
    }
  }
  switch (call.fn) {
    case 'Get':
      return Buffer.from(`value of ${call.args[0] ?? ''}`);
    case 'Refuse':
      return chaincodeError(kind, '[FORBIDDEN] only the data authority may do this');
    case 'Put':
    case 'Conflict':
    case 'Slow':
      return Buffer.from(`stored ${call.args.join(',')}`);
    default:
      return chaincodeError(kind, `You've asked to invoke a function that does not exist: ${call.fn}`);
  }
}

interface FakePeer {
  readonly port: number;
  readonly seen: Seen;
  readonly caCertificate: string;
  readonly identity: ConnectOptions;
  stop(): Promise<void>;
}

async function startFakePeer(): Promise<FakePeer> {
  const ca = await CertificateAuthority.create({ mspId: MSP, organisation: 'Agency A' });
  const tls = await ca.issueTls({ commonName: PEER_HOST, hosts: [PEER_HOST], usage: 'server' });
  const user = await ca.issueIdentity({ commonName: 'issuerA', attrs: {} });
  const seen: Seen = { verified: 0, refused: 0, endorsed: [], submitted: [], eventRequests: [] };
  const attempts = new Map<string, number>();
  const fnOfTx = new Map<string, string>();
  let nextBlock = chain.length;

  const method = <Req extends { serializeBinary(): Uint8Array }, Res extends { serializeBinary(): Uint8Array }>(
    path: string,
    request: { deserializeBinary(bytes: Uint8Array): Req },
    response: { deserializeBinary(bytes: Uint8Array): Res },
    responseStream = false,
  ) => ({
    path,
    requestStream: false,
    responseStream,
    requestSerialize: (m: Req) => Buffer.from(m.serializeBinary()),
    requestDeserialize: (b: Buffer) => request.deserializeBinary(b),
    responseSerialize: (m: Res) => Buffer.from(m.serializeBinary()),
    responseDeserialize: (b: Buffer) => response.deserializeBinary(b),
  });
  const service = {
    Evaluate: method('/gateway.Gateway/Evaluate', gateway.EvaluateRequest, gateway.EvaluateResponse),
    Endorse: method('/gateway.Gateway/Endorse', gateway.EndorseRequest, gateway.EndorseResponse),
    Submit: method('/gateway.Gateway/Submit', gateway.SubmitRequest, gateway.SubmitResponse),
    CommitStatus: method('/gateway.Gateway/CommitStatus', gateway.SignedCommitStatusRequest, gateway.CommitStatusResponse),
    ChaincodeEvents: method('/gateway.Gateway/ChaincodeEvents', gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse, true),
  } as unknown as grpc.ServiceDefinition;

  type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;
  const evaluate: Unary<gateway.EvaluateRequest, gateway.EvaluateResponse> = (call, callback) => {
    const parsed = parseProposal(seen, call.request.getProposedTransaction());
    if (parsed instanceof Error) return callback(parsed);
    const result = run(parsed, 'evaluate');
    if (result instanceof Error) return callback(result);
    const response = new peer.Response();
    response.setStatus(200);
    response.setPayload(result);
    const answer = new gateway.EvaluateResponse();
    answer.setResult(response);
    callback(null, answer);
  };
  const endorse: Unary<gateway.EndorseRequest, gateway.EndorseResponse> = (call, callback) => {
    const parsed = parseProposal(seen, call.request.getProposedTransaction());
    if (parsed instanceof Error) return callback(parsed);
    const result = run(parsed, 'endorse');
    if (result instanceof Error) return callback(result);
    seen.endorsed.push(parsed.txId);
    fnOfTx.set(parsed.txId, parsed.fn);
    const payload = new common.Payload();
    payload.setHeader(parsed.header);
    payload.setData(endorserTransaction({ channelId: parsed.channelId, txId: parsed.txId, mspId: parsed.mspId, chaincode: parsed.chaincode, args: [parsed.fn, ...parsed.args], result }, parsed.header).serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    const answer = new gateway.EndorseResponse();
    answer.setPreparedTransaction(envelope);
    const reply = (): void => callback(null, answer);
    if (parsed.fn === 'Slow') setTimeout(reply, 1500);
    else reply();
  };
  const submit: Unary<gateway.SubmitRequest, gateway.SubmitResponse> = (call, callback) => {
    const envelope = call.request.getPreparedTransaction();
    const payloadBytes = envelope?.getPayload_asU8() ?? new Uint8Array();
    const header = common.Payload.deserializeBinary(payloadBytes).getHeader();
    const signatureHeader = common.SignatureHeader.deserializeBinary(header?.getSignatureHeader_asU8() ?? new Uint8Array());
    if (!verifiedCreator(seen, signatureHeader.getCreator_asU8(), payloadBytes, envelope?.getSignature_asU8() ?? new Uint8Array())) {
      return callback(serviceError(grpc.status.ABORTED, 'received unsuccessful response from orderer: BAD_REQUEST'));
    }
    seen.submitted.push(call.request.getTransactionId());
    callback(null, new gateway.SubmitResponse());
  };
  const commitStatus: Unary<gateway.SignedCommitStatusRequest, gateway.CommitStatusResponse> = (call, callback) => {
    const requestBytes = call.request.getRequest_asU8();
    const request = gateway.CommitStatusRequest.deserializeBinary(requestBytes);
    if (!verifiedCreator(seen, request.getIdentity_asU8(), requestBytes, call.request.getSignature_asU8())) {
      return callback(serviceError(grpc.status.PERMISSION_DENIED, 'access denied for [CommitStatus]'));
    }
    const fn = fnOfTx.get(request.getTransactionId()) ?? '';
    const attempt = (attempts.get(fn) ?? 0) + 1;
    attempts.set(fn, attempt);
    const answer = new gateway.CommitStatusResponse();
    answer.setResult(fn === 'Conflict' && attempt <= 2 ? ValidationCode.MVCC_READ_CONFLICT : ValidationCode.VALID);
    answer.setBlockNumber(nextBlock++);
    callback(null, answer);
  };
  const chaincodeEvents = (call: grpc.ServerWritableStream<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse>): void => {
    const requestBytes = call.request.getRequest_asU8();
    const request = gateway.ChaincodeEventsRequest.deserializeBinary(requestBytes);
    if (!verifiedCreator(seen, request.getIdentity_asU8(), requestBytes, call.request.getSignature_asU8())) {
      call.destroy(serviceError(grpc.status.PERMISSION_DENIED, 'access denied for [ChaincodeEvents]'));
      return;
    }
    const position: orderer.SeekPosition | undefined = request.getStartPosition();
    const start = position?.hasSpecified() ? position.getSpecified()?.getNumber() : undefined;
    seen.eventRequests.push({ start, afterTransactionId: request.getAfterTransactionId() });
    const from = start ?? chain.length;
    for (const block of [...new Set(EVENTS.map((e) => e.block))].filter((b) => b >= from)) {
      const response = new gateway.ChaincodeEventsResponse();
      response.setBlockNumber(block);
      response.setEventsList(
        EVENTS.filter((e) => e.block === block).map((e) => {
          const event = new peer.ChaincodeEvent();
          event.setChaincodeId(CHAINCODE);
          event.setTxId(e.txId);
          event.setEventName(e.name);
          event.setPayload(Buffer.from(e.payload));
          return event;
        }),
      );
      call.write(response);
    }
    // Then wait for blocks that never come, until the client cancels.
  };

  const server = new grpc.Server();
  server.addService(service, { Evaluate: evaluate, Endorse: endorse, Submit: submit, CommitStatus: commitStatus, ChaincodeEvents: chaincodeEvents } as grpc.UntypedServiceImplementation);
  const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.privateKey), cert_chain: Buffer.from(tls.certificate) }], false);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    port,
    seen,
    caCertificate: ca.certificate,
    identity: { identity: { mspId: MSP, credentials: Buffer.from(user.certificate) }, signer: newNodeSigner(user.privateKey) },
    stop: async () => server.forceShutdown(),
  };
}

function ledgerFor(fake: FakePeer, extra: Partial<FabricLedgerOptions> = {}): FabricLedger {
  return new FabricLedger({
    peerEndpoint: `127.0.0.1:${fake.port}`,
    tlsCaCertificate: fake.caCertificate,
    hostnameOverride: PEER_HOST,
    channel: CHANNEL,
    chaincode: CHAINCODE,
    retry: { sleep: async () => undefined },
    ...extra,
  });
}

t.test('FabricLedger against a fake peer gateway over TLS', async (t) => {
  const fake = await startFakePeer();
  t.teardown(() => fake.stop());
  const ledger = ledgerFor(fake, { deadlines: { endorse: 400 } });
  t.teardown(() => ledger.close());
  await ledger.ready(5000);
  const gateway = ledger.connect(fake.identity);
  const contract = gateway.getContract();

  await t.test('evaluate: the proposal is signed over its bytes, low-S, verified by the peer', async (t) => {
    const before = fake.seen.verified;
    t.equal(Buffer.from(await contract.evaluate('Get', { arguments: ['k'] })).toString(), 'value of k');
    t.equal(fake.seen.verified, before + 1);
    t.equal(fake.seen.refused, 0);
  });

  await t.test('submit: endorse, submit and commit status, each signed', async (t) => {
    const before = fake.seen.verified;
    const result = await contract.submit('Put', { arguments: ['k', 'v'] });
    t.equal(Buffer.from(result.result).toString(), 'stored k,v');
    t.match(result, { code: 0, transactionId: /^[0-9a-f]{64}$/ });
    t.ok(result.blockNumber >= chain.length);
    t.equal(fake.seen.verified, before + 3, 'proposal, transaction envelope and commit status request');
    t.equal(fake.seen.submitted.at(-1), result.transactionId);
  });

  await t.test('MVCC conflicts: retried with fresh proposals until valid', async (t) => {
    const endorsedBefore = fake.seen.endorsed.length;
    const result = await contract.submit('Conflict', { arguments: ['x'] });
    const ids = fake.seen.endorsed.slice(endorsedBefore);
    t.equal(ids.length, 3, 'two conflicts, then valid');
    t.equal(new Set(ids).size, 3, 'three transaction ids');
    t.equal(result.transactionId, ids[2]);
    t.equal(result.code, 0);
  });

  await t.test('a chaincode refusal: the embedded EndorseError, code from the details', async (t) => {
    const error = (await contract.submit('Refuse').catch((e: unknown) => e)) as EndorseError;
    t.type(error, EndorseError);
    t.same({ code: error.code, message: error.message, detail: error.detail }, { code: 'FORBIDDEN', message: 'only the data authority may do this', detail: 'only the data authority may do this' });
    t.match(error.transactionId, /^[0-9a-f]{64}$/);
    const queried = (await contract.evaluate('Refuse').catch((e: unknown) => e)) as EndorseError;
    t.match(queried, { code: 'FORBIDDEN', detail: 'only the data authority may do this' });
    t.match(await contract.evaluate('Nope').catch((e: unknown) => e), { code: 'CHAINCODE_ERROR', message: "You've asked to invoke a function that does not exist: Nope" });
  });

  await t.test('the endorse deadline: LEDGER_UNAVAILABLE', async (t) => {
    const started = Date.now();
    const error = await contract.submit('Slow').catch((e: unknown) => e);
    t.type(error, LedgerUnavailableError);
    t.match((error as Error).message, /DEADLINE_EXCEEDED/);
    t.ok(Date.now() - started < 1400, 'did not wait for the slow peer');
  });

  await t.test('a signer the peer cannot verify: FORBIDDEN', async (t) => {
    const ca = await CertificateAuthority.create({ mspId: MSP, organisation: 'Agency A' });
    const user = await ca.issueIdentity({ commonName: 'doubleHash', attrs: {} });
    // Signing SHA-256(message) as if hash.sha256 were used with a hashing signer: a double hash.
    const doubleHash = async (message: Uint8Array): Promise<Uint8Array> => nodeSign('sha256', createHash('sha256').update(message).digest(), user.privateKey);
    const wrong = ledger.connect({ identity: { mspId: MSP, credentials: Buffer.from(user.certificate) }, signer: doubleHash });
    const refusedBefore = fake.seen.refused;
    t.match(await wrong.getContract().evaluate('Get', { arguments: ['k'] }).catch((e: unknown) => e), { code: 'FORBIDDEN', message: /^access denied/ });
    t.equal(fake.seen.refused, refusedBefore + 1, 'the fake peer does check signatures');
    wrong.close();
  });

  await t.test('info, getBlock, getTransaction through qscc', async (t) => {
    const info = await ledger.info();
    t.same(info, {
      height: chain.length,
      currentBlockHash: fabricHeaderHash(chain.at(-1) as common.Block).toString('hex'),
      previousBlockHash: fabricHeaderHash(chain.at(-2) as common.Block).toString('hex'),
    });
    const block = await ledger.getBlock(2);
    t.match(block, { number: 2, hash: info.currentBlockHash, previousHash: fabricHeaderHash(chain[1] as common.Block).toString('hex') });
    t.same(block?.transactions.map((tx) => [tx.txId, tx.validation]), [['tx-a', 'VALID'], ['tx-b', 'VALID'], ['tx-bad', 'MVCC_READ_CONFLICT']]);
    t.match((await ledger.getBlock(0))?.transactions[0], { type: 'config', config: { channelId: CHANNEL, organisations: [{ mspId: MSP }] } });
    t.equal(await ledger.getBlock(chain.length), undefined, 'beyond the height');
    t.equal(await ledger.getBlock(-1), undefined);
    t.equal(await ledger.getBlock(1.5), undefined);
    t.match(await ledger.getTransaction('tx-bad'), { txId: 'tx-bad', blockNumber: 2, txNumber: 2, validationCode: 11, validation: 'MVCC_READ_CONFLICT', function: 'Emit' });
    t.match(await ledger.getTransaction('tx-put'), { blockNumber: 1, txNumber: 0, validationCode: 0, creator: { mspId: MSP }, writes: [{ key: 'k', isDelete: false }], event: 'Put' });
    t.equal(await ledger.getTransaction('unknown'), undefined);
  });

  await t.test('chaincode events: resume from a checkpoint, skip done in the client', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-fabric-peer-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const checkpointer = new FileCheckpointer(join(dir, 'events.json'));
    const all = await gateway.getChaincodeEvents({ startBlock: 0 });
    const seen: string[] = [];
    for await (const event of all) {
      seen.push(`${event.blockNumber}/${event.transactionId}/${Buffer.from(event.payload).toString()}`);
      await checkpointer.checkpointTransaction(event.blockNumber, event.transactionId);
      if (seen.length === 2) break;
    }
    t.same(seen, ['1/tx-put/k', '2/tx-a/a']);
    const resumed = await gateway.getChaincodeEvents({ checkpoint: new FileCheckpointer(join(dir, 'events.json')) });
    const after: string[] = [];
    for await (const event of resumed) {
      after.push(event.transactionId);
      break;
    }
    t.same(after, ['tx-b'], 'after tx-a, within block 2');
    t.same(fake.seen.eventRequests.slice(-2), [
      { start: 0, afterTransactionId: '' },
      { start: 2, afterTransactionId: '' },
    ]);

    // Closing the gateway ends a reader waiting for the next event.
    const waiting = await gateway.getChaincodeEvents({ startBlock: 10 });
    const next = waiting[Symbol.asyncIterator]().next();
    const other = ledger.connect(fake.identity);
    const stream = await other.getChaincodeEvents({ startBlock: 10 });
    const pending = stream[Symbol.asyncIterator]().next();
    other.close();
    t.same(await pending, { done: true, value: undefined }, 'gateway.close() ends its streams');
    waiting.close();
    t.same(await next, { done: true, value: undefined });
    t.type(await other.getContract().evaluate('Get').catch((e: unknown) => e), LedgerUnavailableError, 'a closed gateway refuses calls');
  });

  await t.test('close: gateways and the gRPC client', async (t) => {
    const stream = await gateway.getChaincodeEvents({ startBlock: 10 });
    const pending = stream[Symbol.asyncIterator]().next();
    await ledger.close();
    t.same(await pending, { done: true, value: undefined });
    t.type(await contract.evaluate('Get').catch((e: unknown) => e), LedgerUnavailableError);
    t.type(await ledger.info().catch((e: unknown) => e), LedgerUnavailableError);
    t.throws(() => ledger.connect(fake.identity), LedgerUnavailableError);
  });
});

t.test('a reader identity for the ledger reads; none at all is LEDGER_UNAVAILABLE', async (t) => {
  const fake = await startFakePeer();
  t.teardown(() => fake.stop());
  const none = ledgerFor(fake);
  t.teardown(() => none.close());
  t.type(await none.info().catch((e: unknown) => e), LedgerUnavailableError, 'no identity connected and no reader');
  const withReader = ledgerFor(fake, { reader: fake.identity });
  t.teardown(() => withReader.close());
  t.equal((await withReader.info()).height, chain.length);
});

t.test('an unreachable peer: LEDGER_UNAVAILABLE, fast', async (t) => {
  const fake = await startFakePeer();
  await fake.stop();
  const ledger = ledgerFor(fake, { deadlines: { evaluate: 2000, endorse: 2000 } });
  t.teardown(() => ledger.close());
  const contract = ledger.connect(fake.identity).getContract();
  t.type(await contract.evaluate('Get').catch((e: unknown) => e), LedgerUnavailableError);
  t.type(await contract.submit('Put').catch((e: unknown) => e), LedgerUnavailableError);
  await t.rejects(ledger.ready(300), LedgerUnavailableError);
  t.type(await ledger.info().catch((e: unknown) => e), LedgerUnavailableError);
  t.type(await ledger.getBlock(0).catch((e: unknown) => e), LedgerUnavailableError);
});
