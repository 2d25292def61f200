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
import { createHash } from 'node:crypto';
import { CodedError } from './coded-error';
import { parseDigest } from './digest';

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
  return createHash('sm3').update(LEAF_PREFIX).update(bytes).digest();
}

function hashNode(left: Buffer, right: Buffer): Buffer {
  return createHash('sm3').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The sibling hash a proof step gives for the node at index `i`, or undefined when the step is
 * malformed or on the wrong side (an odd index has its sibling on the left).
 */
function siblingAt(entry: unknown, i: number): Buffer | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { side, hash } = entry as Partial<MerkleProofStep>;
  const sibling = typeof hash === 'string' ? sm3Bytes(hash) : undefined;
  return sibling && side === (i % 2 === 1 ? 'L' : 'R') ? sibling : undefined;
}

/** The parent of the node at index `i` (hash `hash`) and its sibling. */
function combine(hash: Buffer, sibling: Buffer, i: number): Buffer {
  return i % 2 === 1 ? hashNode(sibling, hash) : hashNode(hash, sibling);
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
  /** `sm3:<hex>` of the nodes, made when a proof first needs them (each node once, not once per proof). */
  readonly #texts: Array<Array<string | undefined>>;

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
    this.#texts = levels.map((level) => new Array<string | undefined>(level.length));
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
    for (const [depth, level] of this.#levels.entries()) {
      if (level.length === 1) break;
      if (i % 2 === 1) path.push({ side: 'L', hash: this.#text(depth, i - 1) });
      else if (i + 1 < level.length) path.push({ side: 'R', hash: this.#text(depth, i + 1) });
      // else: last node of an odd level, promoted without a sibling
      i = Math.floor(i / 2);
    }
    return { index, size: this.size, path };
  }

  #text(depth: number, position: number): string {
    const texts = this.#texts[depth] as Array<string | undefined>;
    let text = texts[position];
    if (text === undefined) {
      text = toDigest((this.#levels[depth] as Buffer[])[position] as Buffer);
      texts[position] = text;
    }
    return text;
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
      const sibling = siblingAt(path[step++], i);
      if (!sibling) return false;
      hash = combine(hash, sibling, i);
    }
    i = Math.floor(i / 2);
    count = Math.ceil(count / 2);
  }
  return step === path.length && hash.equals(rootBytes);
}

/** A node some proof has shown to lead to the root: its hash, and its text when a proof gave it. */
interface KnownNode {
  readonly hash: Buffer;
  text: string | undefined;
}

/**
 * Checks many inclusion proofs against one root and size — a batch's licenses, one transaction's
 * worth — with the answers of {@link verifyMerkleProof}, but without rehashing what an earlier
 * proof already showed: once a proof has led to the root, every node on its way and every sibling
 * it named is known to be the tree's. A later proof is hashed only up to the first known node; its
 * hash must be that node's, and its remaining steps must name exactly the known siblings above
 * (compared as text). Proofs of neighbouring leaves share all but their lowest steps, so a run of
 * n leaves costs about n leaf and n node hashes instead of n · log₂(size) of each.
 *
 * The answer for every proof of `size` leaves is the one `verifyMerkleProof` gives (up to SM3
 * collisions): the same checks of shape, index, sides and path length, and a proof that names any
 * other sibling than the tree's, or whose leaf is not the tree's, fails. A proof stating another
 * size fails. A failed proof teaches the checker nothing.
 * @example
 * const checker = new MerkleProofChecker(batch.root, batch.size);
 * for (const item of items) if (!checker.verify(item.docDigest, item.proof)) refuse(item);
 */
export class MerkleProofChecker {
  readonly size: number;
  readonly #root: Buffer | undefined;
  /** known[level] maps a position to its node. */
  readonly #known: Array<Map<number, KnownNode>> = [];

  /** An unusable root or size makes every proof fail (as with `verifyMerkleProof`). */
  constructor(root: string, size: number) {
    this.#root = sm3Bytes(root);
    this.size = size;
  }

  /** True when `proof` shows that `leaf` is leaf `proof.index` of this root's tree of `size` leaves. Never throws. */
  verify(leaf: string, proof: MerkleProof): boolean {
    const bytes = sm3Bytes(leaf);
    if (!bytes || !this.#root || typeof proof !== 'object' || proof === null) return false;
    const { index, size, path } = proof;
    if (size !== this.size || !Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(index) || index < 0 || index >= size) {
      return false;
    }
    if (!Array.isArray(path)) return false;
    // Nodes met on the way, and siblings named, recorded only if the proof holds.
    const learnt: Array<[level: number, position: number, node: KnownNode]> = [];
    let hash = hashLeaf(bytes);
    let i = index;
    let count = size;
    let step = 0;
    let level = 0;
    while (count > 1) {
      const known = this.#known[level]?.get(i);
      if (known) {
        if (!known.hash.equals(hash) || !this.#restIsKnown(path, step, level, i, count)) return false;
        this.#learn(learnt);
        return true;
      }
      learnt.push([level, i, { hash, text: undefined }]);
      const promoted = i % 2 === 0 && i + 1 >= count;
      if (!promoted) {
        const sibling = siblingAt(path[step++], i);
        if (!sibling) return false;
        learnt.push([level, i ^ 1, { hash: sibling, text: (path[step - 1] as MerkleProofStep).hash }]);
        hash = combine(hash, sibling, i);
      }
      i = Math.floor(i / 2);
      count = Math.ceil(count / 2);
      level++;
    }
    if (step !== path.length || !hash.equals(this.#root)) return false;
    this.#learn(learnt);
    return true;
  }

  /** The steps from `step` on, from node (`level`, `i`) up, name exactly the known siblings. */
  #restIsKnown(path: readonly unknown[], step: number, level: number, i: number, count: number): boolean {
    while (count > 1) {
      if (!(i % 2 === 0 && i + 1 >= count)) {
        const entry: unknown = path[step++];
        if (typeof entry !== 'object' || entry === null) return false;
        const { side, hash: text } = entry as Partial<MerkleProofStep>;
        const sibling = this.#known[level]?.get(i ^ 1);
        if (!sibling || typeof text !== 'string' || side !== (i % 2 === 1 ? 'L' : 'R')) return false;
        if (sibling.text === undefined) {
          const bytes = sm3Bytes(text);
          if (!bytes || !bytes.equals(sibling.hash)) return false;
          sibling.text = text;
        } else if (sibling.text !== text) {
          return false;
        }
      }
      i = Math.floor(i / 2);
      count = Math.ceil(count / 2);
      level++;
    }
    return step === path.length;
  }

  #learn(learnt: ReadonlyArray<[number, number, KnownNode]>): void {
    for (const [level, position, node] of learnt) {
      let nodes = this.#known[level];
      if (!nodes) {
        nodes = new Map();
        this.#known[level] = nodes;
      }
      if (!nodes.has(position)) nodes.set(position, node);
    }
  }
}
