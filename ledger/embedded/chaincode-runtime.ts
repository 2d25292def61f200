/**
 * Runs `fabric-contract-api` contracts in-process, through fabric-shim's own dispatcher
 * (`ChaincodeFromContract`) and its own `ChaincodeStub` class — the same code that runs the
 * chaincode on a Fabric peer. Only the peer side differs: the stub's `handler` is our
 * `SimulationHandler` instead of the gRPC connection to a peer.
 *
 * Two costs are cut without changing behaviour: fabric-shim's `ClientIdentity` re-parses the
 * creator certificate (with @fidm/x509) on every invocation. Certificates are immutable, so
 * `Certificate.fromPEM` is memoised per PEM string for the process. And its `DataMarshall`
 * compiles a validator per parameter per invocation, which ajv finds in its cache only after
 * serialising the whole schema — every component schema of the contract — with
 * fast-json-stable-stringify; the validator is memoised per parameter schema (see
 * {@link memoiseParameterValidators}).
 */
// First: quiets fabric's loggers before fabric-shim's modules create theirs.
import './quiet-fabric-loggers';
import { createHash } from 'node:crypto';
import type { SimulationHandler } from './simulation-handler';
import { serializeCreator, type Proposal } from './proposal';

// fabric-shim internals, loaded by path because they are not part of its typed public surface.
const ChaincodeStub = require('fabric-shim/lib/stub') as new (
  handler: SimulationHandler,
  channelId: string,
  txId: string,
  input: { getArgsList_asU8(): Uint8Array[] },
) => StubLike;
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract') as new (
  contracts: unknown[],
  serializers: unknown,
  metadata: unknown,
  title: string,
  version: string,
) => { invokeFunctionality(stub: StubLike): Promise<ShimResponse> };
const { JSONSerializer } = require('fabric-contract-api') as { JSONSerializer: unknown };
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb') as {
  Timestamp: new () => { setSeconds(s: number): void; setNanos(n: number): void };
};

interface StubLike {
  creator: { mspid: string; idBytes: Uint8Array };
  txTimestamp: unknown;
  transientMap: Map<string, Buffer>;
  signedProposal: unknown;
  binding: string;
  chaincodeEvent?: { getEventName(): string; getPayload_asU8(): Uint8Array };
}

interface ShimResponse {
  status: number;
  message?: string;
  payload?: Uint8Array;
}

export interface InvocationResult {
  readonly status: number;
  readonly message: string;
  readonly payload: Buffer;
  readonly event?: { readonly name: string; readonly payload: Buffer };
}

memoiseCertificateParsing();

export interface ChaincodeDefinition {
  /** The chaincode name (its state namespace). */
  readonly name: string;
  readonly version: string;
  /** Contract classes, as a Fabric Node chaincode exports them in `module.exports.contracts`. */
  readonly contracts: readonly unknown[];
}

export class ChaincodeRuntime {
  readonly name: string;
  readonly #dispatcher: InstanceType<typeof ChaincodeFromContract>;

  constructor(definition: ChaincodeDefinition) {
    this.name = definition.name;
    // The dispatcher appends its system contract to the array it is given: pass a copy.
    this.#dispatcher = new ChaincodeFromContract(
      [...definition.contracts],
      { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
      {},
      definition.name,
      definition.version,
    );
    memoiseParameterValidators(this.#dispatcher);
  }

  /** Invokes the transaction a proposal names, with `handler` serving state. */
  async invoke(proposal: Proposal, transient: ReadonlyMap<string, Buffer>, handler: SimulationHandler): Promise<InvocationResult> {
    const args = proposal.args.map((arg) => Buffer.from(arg, 'base64'));
    const stub = new ChaincodeStub(handler, proposal.channelId, proposal.txId, { getArgsList_asU8: () => args });
    const creatorBytes = Buffer.from(proposal.creator.idBytes, 'utf8');
    stub.creator = { mspid: proposal.creator.mspId, idBytes: creatorBytes };
    const timestamp = new Timestamp();
    timestamp.setSeconds(proposal.timestamp.seconds);
    timestamp.setNanos(proposal.timestamp.nanos);
    stub.txTimestamp = timestamp;
    stub.transientMap = new Map(transient);
    stub.signedProposal = { proposal };
    stub.binding = proposalBinding(proposal);

    const response = await this.#dispatcher.invokeFunctionality(stub);
    const event = stub.chaincodeEvent;
    return {
      status: response.status,
      message: response.message ?? '',
      payload: Buffer.from(response.payload ?? new Uint8Array()),
      ...(event ? { event: { name: event.getEventName(), payload: Buffer.from(event.getPayload_asU8()) } } : {}),
    };
  }
}

/** Fabric's proposal binding: SHA-256(nonce ‖ creator ‖ epoch as 8 little-endian bytes, here 0). */
function proposalBinding(proposal: Proposal): string {
  return createHash('sha256')
    .update(Buffer.from(proposal.nonce, 'base64'))
    .update(serializeCreator(proposal.creator))
    .update(Buffer.alloc(8))
    .digest('hex');
}

function memoiseCertificateParsing(): void {
  const fidmPath = require.resolve('@fidm/x509', { paths: [require.resolve('fabric-shim')] });
  const { Certificate } = require(fidmPath) as { Certificate: { fromPEM(pem: Buffer | string): unknown } };
  const original = Certificate.fromPEM.bind(Certificate);
  const cache = new Map<string, unknown>();
  Certificate.fromPEM = (pem: Buffer | string) => {
    const text = pem.toString();
    let parsed = cache.get(text);
    if (parsed === undefined) {
      if (cache.size >= 10_000) cache.clear();
      parsed = original(pem);
      cache.set(text, parsed);
    }
    return parsed;
  };
}

type Compile = (schema: unknown) => unknown;

/**
 * fabric-shim's `DataMarshall.handleParameters` calls `ajv.compile({ properties: { prop: <the
 * parameter's schema> }, components: { schemas: <the contract's components> } })` for every
 * parameter of every invocation; ajv (v6) then keys its cache by a stable stringification of that
 * whole schema, which cost a quarter of a read's CPU. The parameter schemas are the contract
 * metadata's own objects and the components are fixed per DataMarshall, so the same validator is
 * returned per parameter schema object — the one ajv's cache would have returned. Validation of
 * every argument is unchanged.
 */
function memoiseParameterValidators(dispatcher: unknown): void {
  const implementations = (dispatcher as { contractImplementations?: Record<string, { dataMarshall?: { ajv?: { compile: Compile } } }> }).contractImplementations;
  for (const implementation of Object.values(implementations ?? {})) {
    const ajv = implementation.dataMarshall?.ajv;
    if (!ajv) continue;
    const compile: Compile = ajv.compile.bind(ajv);
    const validators = new WeakMap<object, unknown>();
    ajv.compile = (schema: unknown) => {
      const prop = (schema as { properties?: { prop?: unknown } } | null | undefined)?.properties?.prop;
      if (typeof prop !== 'object' || prop === null) return compile(schema);
      let validator = validators.get(prop);
      if (validator === undefined) {
        validator = compile(schema);
        validators.set(prop, validator);
      }
      return validator;
    };
  }
}
