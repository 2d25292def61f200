import t from 'tap';
import { digestOf } from '../../domain/digest';
import { MerkleTree, merkleProof, merkleRoot, verifyMerkleProof, type MerkleProof } from '../../domain/merkle';
import vectors from './vectors/merkle.json';
import { throwsCoded } from './assert-coded';

const leavesOf = (n: number, tag = 'doc'): string[] => Array.from({ length: n }, (_, i) => digestOf(`${tag}-${i}`));

t.test('frozen vectors (computed independently with an RFC 6962 split and sm-crypto-v2)', async (t) => {
  for (const tree of vectors.trees) {
    t.equal(tree.leaves[0], digestOf('doc-0'), 'leaf rule');
    t.equal(merkleRoot(tree.leaves), tree.root, `root of ${tree.size}`);
    for (const proof of tree.proofs) {
      t.same(merkleProof(tree.leaves, proof.index), proof, `proof ${proof.index} of ${tree.size}`);
      t.ok(verifyMerkleProof(tree.leaves[proof.index] as string, proof as MerkleProof, tree.root));
    }
  }
});

t.test('single-leaf tree: root is the leaf hash, proof is empty', async (t) => {
  const [leaf] = leavesOf(1) as [string];
  const tree = new MerkleTree([leaf]);
  t.same(tree.proof(0), { index: 0, size: 1, path: [] });
  t.not(tree.root, leaf, 'the leaf is hashed with its 0x00 prefix, not used as the root');
  t.ok(verifyMerkleProof(leaf, tree.proof(0), tree.root));
  t.notOk(verifyMerkleProof(leaf, tree.proof(0), leaf));
});

t.test('every proof of trees of size 1..33 verifies; tampering fails', async (t) => {
  let checked = 0;
  for (let size = 1; size <= 33; size++) {
    const leaves = leavesOf(size);
    const tree = new MerkleTree(leaves);
    t.equal(tree.size, size);
    t.equal(merkleRoot(leaves), tree.root);
    const otherRoot = merkleRoot(leavesOf(size, 'other'));
    const proofs = tree.proofs();
    proofs.forEach((proof, index) => {
      const leaf = leaves[index] as string;
      const ok = (l: string, p: MerkleProof, r: string) => verifyMerkleProof(l, p, r);
      if (!ok(leaf, proof, tree.root)) t.fail(`size ${size} index ${index} does not verify`);
      if (ok(digestOf('forged'), proof, tree.root)) t.fail(`tampered leaf passes (${size}/${index})`);
      if (ok(leaf, proof, otherRoot)) t.fail(`wrong root passes (${size}/${index})`);
      for (let other = 0; other < size; other++) {
        if (other !== index && ok(leaf, { ...proof, index: other }, tree.root)) {
          t.fail(`index ${index} replayed as ${other} passes (size ${size})`);
        }
      }
      if (ok(leaf, { ...proof, index: size }, tree.root)) t.fail('out-of-range index passes');
      proof.path.forEach((step, s) => {
        const flippedHash = step.hash.slice(0, -1) + (step.hash.endsWith('0') ? '1' : '0');
        const tamperedHash = proof.path.map((x, j) => (j === s ? { ...x, hash: flippedHash } : x));
        const tamperedSide = proof.path.map((x, j) => (j === s ? { ...x, side: x.side === 'L' ? 'R' : 'L' } as const : x));
        if (ok(leaf, { ...proof, path: tamperedHash }, tree.root)) t.fail(`tampered path hash passes (${size}/${index}/${s})`);
        if (ok(leaf, { ...proof, path: tamperedSide }, tree.root)) t.fail(`tampered path side passes (${size}/${index}/${s})`);
      });
      if (proof.path.length > 0) {
        if (ok(leaf, { ...proof, path: proof.path.slice(0, -1) }, tree.root)) t.fail('truncated path passes');
      }
      if (ok(leaf, { ...proof, path: [...proof.path, { side: 'R', hash: leaf }] }, tree.root)) t.fail('extended path passes');
      checked++;
    });
  }
  t.equal(checked, (33 * 34) / 2, 'all proofs checked');
});

t.test('a leaf can never pass for an interior node', async (t) => {
  const leaves = leavesOf(4);
  const tree = new MerkleTree(leaves);
  // An attacker presents the level-1 node (hash of leaves 0 and 1) as a leaf of a 2-leaf tree.
  const proof0 = tree.proof(0);
  const node01 = proof0.path[1];
  t.ok(node01);
  const fakeLeaf = tree.proof(2).path[1]?.hash as string;
  t.notOk(verifyMerkleProof(fakeLeaf, { index: 0, size: 2, path: [node01 as MerkleProof['path'][number]] }, tree.root));
});

t.test('malformed input', async (t) => {
  throwsCoded(t, () => merkleRoot([]), 'VALIDATION_FAILED', 'at least one leaf');
  throwsCoded(t, () => merkleRoot(['sm3:abc']), 'VALIDATION_FAILED', 'leaf 0');
  throwsCoded(t, () => merkleRoot([digestOf('a'), digestOf('b', 'sha256')]), 'VALIDATION_FAILED', 'leaf 1');
  throwsCoded(t, () => merkleProof(leavesOf(3), 3), 'VALIDATION_FAILED', 'index 3');
  throwsCoded(t, () => merkleProof(leavesOf(3), -1), 'VALIDATION_FAILED', 'index -1');
  throwsCoded(t, () => merkleProof(leavesOf(3), 0.5), 'VALIDATION_FAILED', 'index 0.5');
  const leaves = leavesOf(5);
  const tree = new MerkleTree(leaves);
  const proof = tree.proof(4);
  const leaf = leaves[4] as string;
  t.ok(verifyMerkleProof(leaf, proof, tree.root));
  t.notOk(verifyMerkleProof('nonsense', proof, tree.root));
  t.notOk(verifyMerkleProof(leaf, proof, 'nonsense'));
  t.notOk(verifyMerkleProof(leaf, proof, tree.root.toUpperCase()));
  t.notOk(verifyMerkleProof(leaf, null as unknown as MerkleProof, tree.root));
  t.notOk(verifyMerkleProof(leaf, { ...proof, path: 'x' } as unknown as MerkleProof, tree.root));
  t.notOk(verifyMerkleProof(leaf, { ...proof, path: [null] } as unknown as MerkleProof, tree.root));
  t.notOk(verifyMerkleProof(leaf, { ...proof, size: 0 }, tree.root));
  t.notOk(verifyMerkleProof(leaf, { ...proof, index: -1 }, tree.root));
  t.notOk(verifyMerkleProof(leaf, { ...proof, size: Number.NaN }, tree.root));
});

t.test('10,000 leaves: build and all proofs well under a second', async (t) => {
  const leaves = leavesOf(10_000);
  const start = process.hrtime.bigint();
  const tree = new MerkleTree(leaves);
  const proofs = tree.proofs();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.equal(proofs.length, 10_000);
  t.equal(proofs[0]?.path.length, 14, 'ceil(log2(10000)) steps');
  t.equal(proofs[9_999]?.path.length, 8, 'the last leaf is promoted past 6 odd levels');
  t.ok(verifyMerkleProof(leaves[1234] as string, proofs[1234] as MerkleProof, tree.root));
  t.ok(ms < 1000, `built and proved in ${ms.toFixed(0)} ms`);
});
