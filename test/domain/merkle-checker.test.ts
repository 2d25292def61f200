/**
 * MerkleProofChecker answers exactly as verifyMerkleProof for proofs of its size — for good proofs and every tampering —
 * while it learns the tree from the proofs that held (one checker across all the checks of a tree,
 * in shuffled order, tampered proofs interleaved).
 */
import t from 'tap';
import { digestOf } from '../../domain/digest';
import { MerkleProofChecker, MerkleTree, verifyMerkleProof, type MerkleProof } from '../../domain/merkle';
import vectors from './vectors/merkle.json';

const leavesOf = (n: number, tag = 'doc'): string[] => Array.from({ length: n }, (_, i) => digestOf(`${tag}-${i}`));

/** Deterministic shuffle (a small LCG), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A proof and its tamperings, as (leaf, proof, root) cases. */
function cases(leaves: string[], tree: MerkleTree, index: number): Array<{ leaf: string; proof: MerkleProof; root: string; what: string }> {
  const leaf = leaves[index] as string;
  const proof = tree.proof(index);
  const out = [{ leaf, proof, root: tree.root, what: 'good' }];
  out.push({ leaf: digestOf('forged'), proof, root: tree.root, what: 'forged leaf' });
  if (tree.size > 1) out.push({ leaf: leaves[(index + 1) % tree.size] as string, proof, root: tree.root, what: 'other leaf' });
  out.push({ leaf, proof: { ...proof, index: (index + 1) % tree.size }, root: tree.root, what: 'replayed index' });
  out.push({ leaf, proof: { ...proof, index: tree.size }, root: tree.root, what: 'index out of range' });
  out.push({ leaf, proof: { ...proof, size: tree.size + 1 }, root: tree.root, what: 'other size' });
  proof.path.forEach((step, s) => {
    const flipped = step.hash.slice(0, -1) + (step.hash.endsWith('0') ? '1' : '0');
    out.push({ leaf, proof: { ...proof, path: proof.path.map((x, j) => (j === s ? { ...x, hash: flipped } : x)) }, root: tree.root, what: `hash ${s}` });
    out.push({ leaf, proof: { ...proof, path: proof.path.map((x, j) => (j === s ? { ...x, side: x.side === 'L' ? 'R' : 'L' } : x)) as MerkleProof['path'] }, root: tree.root, what: `side ${s}` });
    out.push({ leaf, proof: { ...proof, path: proof.path.map((x, j) => (j === s ? { ...x, hash: step.hash.toUpperCase() } : x)) }, root: tree.root, what: `upper-case hash ${s}` });
  });
  if (proof.path.length > 0) out.push({ leaf, proof: { ...proof, path: proof.path.slice(0, -1) }, root: tree.root, what: 'truncated' });
  out.push({ leaf, proof: { ...proof, path: [...proof.path, { side: 'R', hash: leaf }] }, root: tree.root, what: 'extended' });
  out.push({ leaf, proof: { ...proof, path: [...proof.path.slice(0, -1), null as unknown as MerkleProof['path'][number]] }, root: tree.root, what: 'null step' });
  return out;
}

t.test('same answers as verifyMerkleProof, trees of 1..40 leaves and 1000, any order', async (t) => {
  let compared = 0;
  for (const size of [...Array.from({ length: 40 }, (_, i) => i + 1), 1000]) {
    const leaves = leavesOf(size);
    const tree = new MerkleTree(leaves);
    const checker = new MerkleProofChecker(tree.root, size);
    const indexes = size === 1000 ? shuffled(Array.from({ length: size }, (_, i) => i), 7).slice(0, 300) : Array.from({ length: size }, (_, i) => i);
    const all = shuffled(indexes.flatMap((index) => cases(leaves, tree, index)), size);
    for (const c of all) {
      // A checker is for one size: a proof of another size fails (verifyMerkleProof may accept one of the same shape).
      const expected = c.proof.size === size && verifyMerkleProof(c.leaf, c.proof, c.root);
      if (checker.verify(c.leaf, c.proof) !== expected) t.fail(`size ${size}, leaf ${c.proof.index} (${c.what}): expected ${expected}`);
      compared++;
    }
    // After everything was learnt, every good proof still passes and a wrong root fails all.
    for (const index of indexes) if (!checker.verify(leaves[index] as string, tree.proof(index))) t.fail(`size ${size}: good proof ${index} fails later`);
    const other = new MerkleProofChecker(new MerkleTree(leavesOf(size, 'other')).root, size);
    if (other.verify(leaves[0] as string, tree.proof(0))) t.fail(`size ${size}: a proof passes for another root`);
  }
  t.ok(compared > 5000, `${compared} answers compared`);
});

t.test('frozen vectors', async (t) => {
  for (const tree of vectors.trees) {
    const checker = new MerkleProofChecker(tree.root, tree.size);
    for (const proof of tree.proofs) t.ok(checker.verify(tree.leaves[proof.index] as string, proof as MerkleProof), `${tree.size}/${proof.index}`);
  }
});

t.test('malformed root, size or proof: false, never a throw', async (t) => {
  const leaves = leavesOf(5);
  const tree = new MerkleTree(leaves);
  t.notOk(new MerkleProofChecker('sm3:xyz', 5).verify(leaves[0] as string, tree.proof(0)));
  t.notOk(new MerkleProofChecker(tree.root, 0).verify(leaves[0] as string, { ...tree.proof(0), size: 0 }));
  const checker = new MerkleProofChecker(tree.root, 5);
  t.notOk(checker.verify('nope', tree.proof(0)));
  t.notOk(checker.verify(leaves[0] as string, null as unknown as MerkleProof));
  t.notOk(checker.verify(leaves[0] as string, { index: 0, size: 5, path: 'x' } as unknown as MerkleProof));
  t.ok(checker.verify(leaves[0] as string, tree.proof(0)));
  t.notOk(checker.verify(leaves[1] as string, { ...tree.proof(1), path: [tree.proof(1).path[0] as MerkleProof['path'][number], 7 as unknown as MerkleProof['path'][number]] }));
});
