/**
 * The license store keeps a batch's seal signature once and its documents with a reference: every
 * document reads back whole (also after reopening, and in getMany), single documents and documents
 * stored whole by earlier versions read as they were written.
 */
import '../support/quiet';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BATCH_MANIFEST_FORMAT, LICENSE_DOCUMENT_FORMAT, licenseDocumentDigest, type LicenseDocument, type SealedLicense } from '../../domain/license-document';
import { MerkleTree } from '../../domain/merkle';
import { LicenseStore, type StoredLicense } from '../../gateway/license-store';
import { JsonStore } from '../../service/json-store';

function document(n: number): LicenseDocument {
  return {
    format: LICENSE_DOCUMENT_FORMAT,
    identifier: `1.2.156.3005.2.11100000MB0000000X001.91310000MA1FL0000A.${String(n).padStart(20, '0')}.001.X`,
    name: '食品经营许可证',
    typeCode: '11100000MB0000000X001',
    number: `沪食经${n}`,
    issuerName: '某某局',
    issuerCode: '91310000MA1FL0000A',
    issuedOn: '2025-03-01',
    holderName: `主体${n}`,
    holderCodeType: '001',
    holderCode: '91310101MA1FL0000A',
    validFrom: '2025-03-01',
    validUntil: null,
    areaCode: '310101',
    version: 1,
    previousIdentifier: null,
    fields: { 经营场所: `某路${n}号` },
  };
}

function batch(sealId: string, signature: string, ns: number[]): StoredLicense[] {
  const documents = ns.map(document);
  const tree = new MerkleTree(documents.map(licenseDocumentDigest));
  const manifest = { format: BATCH_MANIFEST_FORMAT, batchId: `batch-${ns[0]}`, root: tree.root, size: tree.size } as const;
  return documents.map((doc, i) => ({
    sealed: {
      document: doc,
      digest: licenseDocumentDigest(doc),
      seal: { format: 'GBT38540', sealId, signature, signerName: '张三', sealName: '业务专用章', batch: { manifest, proof: tree.proof(i) } },
    } satisfies SealedLicense,
    txId: `tx-${ns[0]}`,
    blockNumber: 7,
  }));
}

t.test('batch documents share one stored signature and read back whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-license-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const signature = Buffer.alloc(3000, 7).toString('base64');
  const first = batch('seal-a', signature, [1, 2, 3, 4, 5]);
  const single: StoredLicense = {
    sealed: { document: document(100), digest: licenseDocumentDigest(document(100)), seal: { format: 'GBT38540', sealId: 'seal-a', signature: 'c2luZ2xl', signerName: '张三' } },
    txId: 'tx-single',
    blockNumber: 3,
  };
  let store = new LicenseStore(dir);
  await store.open();
  await store.put(...first, single);
  // Documents of another batch of the same seal, written by a later chunk.
  const second = batch('seal-a', Buffer.alloc(3000, 9).toString('base64'), [6, 7]);
  await store.put(...second);

  const check = async (what: string): Promise<void> => {
    for (const entry of [...first, ...second, single]) t.same(await store.get(entry.sealed.document.identifier), entry, `${what}: ${entry.sealed.document.identifier.slice(-25)}`);
    const ids = [first[2], undefined, second[1], single].map((e) => e?.sealed.document.identifier ?? '1.2.156.3005.2.absent');
    t.same(await store.getMany(ids), [first[2], undefined, second[1], single], `${what}: getMany, in order`);
    t.equal(await store.count(), 8, `${what}: documents counted, not batch seals`);
  };
  await check('open');
  await store.close();
  store = new LicenseStore(dir); // nothing in memory
  await store.open();
  await check('reopened');
  await store.close();

  // On disk: two batch seals, each signature once.
  const raw = new JsonStore<unknown>(dir);
  await raw.open();
  t.teardown(() => raw.close());
  t.equal(await raw.count(), 10, '8 documents and 2 batch seals');
  const text = JSON.stringify(await raw.values());
  t.equal(text.split(signature).length - 1, 1, 'the first batch signature is stored once');
});

t.test('documents stored whole (earlier versions) read as written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-license-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [old] = batch('seal-b', 'b2xk', [42]) as [StoredLicense];
  const raw = new JsonStore<StoredLicense>(dir);
  await raw.open();
  await raw.put(old.sealed.document.identifier, old);
  await raw.close();
  const store = new LicenseStore(dir);
  await store.open();
  t.teardown(() => store.close());
  t.same(await store.get(old.sealed.document.identifier), old);
  t.equal(await store.count(), 1);
});
