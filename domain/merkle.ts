/**
 * SM3 Merkle tree over a batch's document digests, so one seal signature over the root covers
 * thousands of licenses and each license carries a short proof (bulk collection, README flow 2).
 *
 * - Leaves are SM3 digest strings (`sm3:<hex>`); a leaf's bytes are the 32 raw digest bytes.
 * - leaf hash = SM3(0x00 ‖ leafBytes), node hash = SM3(0x01 ‖ left ‖ right): RFC 6962 domain
 *   separation, so a leaf can never be presented as an interior node (second-preimage attack).
 * - A level with an odd count promotes its last node unchanged to the next level (no duplication,
 *   which would let two different batches share a root, as in Bitcoin's CVE-2012-2459). The result
 *   is the same tree shape as RFC 6962's largest-power-of-two split.
 * - The root commits to the leaves, not to `size` on its own: whoever signs the root should sign
 *   the batch size beside it if it matters.
 */
import { CodedError } from './coded-error';
import { parseDigest, sm3 } from './digest';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** One step of a proof: the sibling's hash and the side it sits on. */
export interface MerkleProofStep {
  side: 'L' | 'R';
  /** `sm3:<hex>` of the sibling node. */
  hash: string;
}

/** An inclusion proof of leaf `index` in a tree of `size` leaves; `path` runs from leaf to root. */
export interface MerkleProof {
  index: number;
  size: number;
  path: MerkleProofStep[];
}

/** The 32 raw bytes of an `sm3:<hex>` string, or undefined for anything else. */
function sm3Bytes(text: string): Buffer | undefined {
  try {
    const { algorithm, hex } = parseDigest(text);
    return algorithm === 'sm3' ? Buffer.from(hex, 'hex') : undefined;
  } catch {
    return undefined;
  }
}

function hashLeaf(bytes: Buffer): Buffer {
  return sm3(Buffer.concat([LEAF_PREFIX, bytes]));
}

function hashNode(left: Buffer, right: Buffer): Buffer {
  return sm3(Buffer.concat([NODE_PREFIX, left, right]));
}

function toDigest(hash: Buffer): string {
  return `sm3:${hash.toString('hex')}`;
}

/**
 * A Merkle tree built once; the root and every proof are then read without rehashing
 * (O(n) hashes to build, O(log n) per proof).
 * @example
 * const tree = new MerkleTree(batch.map((doc) => doc.docDigest));
 * sealRoot(tree.root, tree.size);
 * const proofs = tree.proofs();
 */
export class MerkleTree {
  /** Number of leaves. */
  readonly size: number;
  /** `sm3:<hex>` of the root. */
  readonly root: string;
  /** levels[0] are the leaf hashes, the last level holds only the root. */
  readonly #levels: Buffer[][];

  /** @throws CodedError `VALIDATION_FAILED` for an empty list or a leaf that is not an SM3 digest string. */
  constructor(leaves: readonly string[]) {
    if (!Array.isArray(leaves) || leaves.length === 0) {
      throw new CodedError('VALIDATION_FAILED', 'a Merkle tree needs at least one leaf');
    }
    const hashes = leaves.map((leaf, i) => {
      const bytes = sm3Bytes(leaf);
      if (!bytes) throw new CodedError('VALIDATION_FAILED', `Merkle leaf ${i} must be an sm3:<64 hex> digest`);
      return hashLeaf(bytes);
    });
    const levels: Buffer[][] = [hashes];
    let level = hashes;
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(hashNode(level[i] as Buffer, level[i + 1] as Buffer));
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
      levels.push(next);
      level = next;
    }
    this.#levels = levels;
    this.size = leaves.length;
    this.root = toDigest(level[0] as Buffer);
  }

  /** @throws CodedError `VALIDATION_FAILED` when `index` is not a leaf index. */
  proof(index: number): MerkleProof {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new CodedError('VALIDATION_FAILED', `Merkle leaf index ${String(index)} is outside 0..${this.size - 1}`);
    }
    const path: MerkleProofStep[] = [];
    let i = index;
    for (const level of this.#levels) {
      if (level.length === 1) break;
      if (i % 2 === 1) path.push({ side: 'L', hash: toDigest(level[i - 1] as Buffer) });
      else if (i + 1 < level.length) path.push({ side: 'R', hash: toDigest(level[i + 1] as Buffer) });
      // else: last node of an odd level, promoted without a sibling
      i = Math.floor(i / 2);
    }
    return { index, size: this.size, path };
  }

  /** Every leaf's proof, in leaf order. */
  proofs(): MerkleProof[] {
    return Array.from({ length: this.size }, (_, i) => this.proof(i));
  }
}

/**
 * `sm3:<hex>` Merkle root of SM3 digest strings.
 * @throws CodedError `VALIDATION_FAILED` for an empty list or a malformed leaf.
 */
export function merkleRoot(leaves: string[]): string {
  return new MerkleTree(leaves).root;
}

/**
 * The inclusion proof of `leaves[index]`. For many proofs of one batch, build a {@link MerkleTree}.
 * @throws CodedError `VALIDATION_FAILED` for an empty list, a malformed leaf or a bad index.
 */
export function merkleProof(leaves: string[], index: number): MerkleProof {
  return new MerkleTree(leaves).proof(index);
}

/**
 * True when `proof` shows that `leaf` is leaf `proof.index` of a tree with root `root`.
 * The path must be exactly the one `index` and `size` imply (sides and length), so a proof cannot be
 * replayed for another position. Never throws: anything malformed is simply `false`.
 */
export function verifyMerkleProof(leaf: string, proof: MerkleProof, root: string): boolean {
  const bytes = sm3Bytes(leaf);
  const rootBytes = sm3Bytes(root);
  if (!bytes || !rootBytes || typeof proof !== 'object' || proof === null) return false;
  const { index, size, path } = proof;
  if (!Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    return false;
  }
  if (!Array.isArray(path)) return false;
  let hash = hashLeaf(bytes);
  let i = index;
  let count = size;
  let step = 0;
  while (count > 1) {
    const promoted = i % 2 === 0 && i + 1 >= count;
    if (!promoted) {
      const entry: unknown = path[step++];
      if (typeof entry !== 'object' || entry === null) return false;
      const { side, hash: siblingText } = entry as Partial<MerkleProofStep>;
      const sibling = typeof siblingText === 'string' ? sm3Bytes(siblingText) : undefined;
      if (!sibling || side !== (i % 2 === 1 ? 'L' : 'R')) return false;
      hash = side === 'L' ? hashNode(sibling, hash) : hashNode(hash, sibling);
    }
    i = Math.floor(i / 2);
    count = Math.ceil(count / 2);
  }
  return step === path.length && hash.equals(rootBytes);
}
