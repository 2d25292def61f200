/**
 * Transaction proposals: what a client signs, and how the transaction id is derived from it the
 * Fabric way — hex SHA-256(nonce ‖ serialized creator) — so that an id cannot be chosen freely
 * and a replayed proposal is a duplicate id.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Creator {
  readonly mspId: string;
  /** PEM certificate. */
  readonly idBytes: string;
}

export interface Proposal {
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly txId: string;
  /** Base64 of 24 random bytes. */
  readonly nonce: string;
  readonly creator: Creator;
  /** The client's clock, as in Fabric's channel header; chaincode reads it as the tx time. */
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  /** Base64 of each argument; the first is the transaction name. */
  readonly args: readonly string[];
  /** Hex SHA-256 over the transient map (names and values), so transient data is bound to the signature without being stored. */
  readonly transientHash: string;
}

export interface SignedProposal {
  /** The exact bytes signed (JSON of `Proposal`). */
  readonly bytes: Buffer;
  readonly signature: Buffer;
  readonly transient: ReadonlyMap<string, Buffer>;
}

export const NONCE_BYTES = 24;

const serializedCreators = new Map<string, Map<string, Buffer>>();

/** The creator's canonical bytes (cached: the same few identities sign most proposals). */
export function serializeCreator(creator: Creator): Buffer {
  let ofMsp = serializedCreators.get(creator.mspId);
  if (!ofMsp) {
    ofMsp = new Map();
    serializedCreators.set(creator.mspId, ofMsp);
  }
  let bytes = ofMsp.get(creator.idBytes);
  if (!bytes) {
    if (ofMsp.size >= 10_000) ofMsp.clear();
    bytes = Buffer.from(JSON.stringify({ mspid: creator.mspId, idBytes: creator.idBytes }), 'utf8');
    ofMsp.set(creator.idBytes, bytes);
  }
  return bytes;
}

export function computeTxId(nonce: Uint8Array, creator: Creator): string {
  return createHash('sha256').update(nonce).update(serializeCreator(creator)).digest('hex');
}

export function transientHash(transient: ReadonlyMap<string, Buffer>): string {
  if (transient.size === 0) return '';
  const hash = createHash('sha256');
  for (const name of [...transient.keys()].sort()) {
    const value = transient.get(name) as Buffer;
    hash.update(`${name.length}:${name}${value.length}:`).update(value);
  }
  return hash.digest('hex');
}

export interface ProposalInput {
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly creator: Creator;
  readonly transactionName: string;
  readonly args: ReadonlyArray<string | Uint8Array>;
  readonly transient: ReadonlyMap<string, Buffer>;
  readonly now?: Date;
}

export function createProposal(input: ProposalInput): { proposal: Proposal; bytes: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const millis = (input.now ?? new Date()).getTime();
  const proposal: Proposal = {
    channelId: input.channelId,
    chaincodeName: input.chaincodeName,
    txId: computeTxId(nonce, input.creator),
    nonce: nonce.toString('base64'),
    creator: input.creator,
    timestamp: { seconds: Math.floor(millis / 1000), nanos: (millis % 1000) * 1_000_000 },
    args: [input.transactionName, ...input.args].map((arg) => Buffer.from(arg).toString('base64')),
    transientHash: transientHash(input.transient),
  };
  return { proposal, bytes: Buffer.from(JSON.stringify(proposal), 'utf8') };
}

/** Parses proposal bytes; throws with a clear message when they are not a well-formed proposal. */
export function parseProposal(bytes: Uint8Array): Proposal {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('proposal is not valid JSON');
  }
  const p = value as Partial<Proposal>;
  const ok =
    typeof p === 'object' &&
    p !== null &&
    typeof p.channelId === 'string' &&
    typeof p.chaincodeName === 'string' &&
    typeof p.txId === 'string' &&
    typeof p.nonce === 'string' &&
    typeof p.transientHash === 'string' &&
    typeof p.creator?.mspId === 'string' &&
    typeof p.creator?.idBytes === 'string' &&
    Number.isSafeInteger(p.timestamp?.seconds) &&
    Number.isSafeInteger(p.timestamp?.nanos) &&
    Array.isArray(p.args) &&
    p.args.length > 0 &&
    p.args.every((a) => typeof a === 'string');
  if (!ok) throw new Error('proposal is missing fields or has fields of the wrong type');
  return p as Proposal;
}
