/**
 * Batch-sealed licenses (应归尽归): one seal signature over the batch manifest, each license with
 * its Merkle proof. Each verifies on its own; the manifest signature is verified once and
 * remembered; status is still read live; a bent proof or manifest is SEAL_INVALID.
 */
import t from 'tap';
import type { SealedLicense } from '../../domain/license-document';
import { checkOf, licenseInputA, startVerifierSystem, tampered } from './support';

t.test('batch-sealed licenses', async (t) => {
  const sys = await startVerifierSystem(t);
  const batch = await sys.call('gateway', 'POST', '/v1/licenses/batch', { licenses: Array.from({ length: 5 }, () => licenseInputA()) }, 'issuerA');
  t.equal(batch.status, 200);
  t.equal(batch.body.issued, 5, 'five licenses under one seal', { results: batch.body.results });
  const documents: SealedLicense[] = [];
  for (const result of batch.body.results as Array<{ identifier: string }>) {
    const res = await sys.call('gateway', 'GET', `/v1/licenses/${encodeURIComponent(result.identifier)}`, undefined, 'issuerA');
    documents.push(res.body.document as SealedLicense);
  }
  const signatures = sys.ts.system.verifier.verifier.signatures;

  t.test('each license verifies; the batch signature is verified once', async (t) => {
    const before = signatures.cached;
    for (const document of documents) {
      t.ok(document.seal.batch, 'carries a manifest and a proof');
      const res = await sys.verify(document);
      t.equal(res.body.verified, true, document.document.identifier);
      t.equal(checkOf(res.body, 'seal').detail.batchId, batch.body.batchId);
      t.match(checkOf(res.body, 'seal').messageEn, /batch seal/);
    }
    t.equal(signatures.cached, before + 1, 'one remembered signature for the whole batch');
    const qr = await sys.verifyQr(documents[0]!.document.identifier, documents[0]!.digest);
    t.equal(qr.body.verified, true, 'the QR route too');
  });

  t.test('status is read live even when the signature is remembered', async (t) => {
    const target = documents[1]!;
    await sys.status(t, target.document.identifier, 'suspend');
    t.equal((await sys.verify(target)).body.code, 'SUSPENDED');
    await sys.status(t, target.document.identifier, 'resume');
    t.equal((await sys.verify(target)).body.verified, true);
  });

  t.test('a bent proof or manifest is SEAL_INVALID', async (t) => {
    const [a, b] = documents as [SealedLicense, SealedLicense];
    const cases: Array<[string, SealedLicense]> = [
      ['a sibling hash changed', tampered(a, (d) => (d.seal.batch.proof.path[0].hash = `sm3:${'1'.repeat(64)}`))],
      ["another license's proof", tampered(a, (d) => (d.seal.batch.proof = b.seal.batch!.proof))],
      ['the manifest size changed', tampered(a, (d) => (d.seal.batch.manifest.size = 6))],
      ['the manifest root changed', tampered(a, (d) => (d.seal.batch.manifest.root = `sm3:${'2'.repeat(64)}`))],
      ['the batch dropped', tampered(a, (d) => delete d.seal.batch)],
    ];
    for (const [what, document] of cases) {
      const res = await sys.verify(document);
      t.equal(res.status, 200, what);
      t.equal(res.body.code, 'SEAL_INVALID', what);
      t.equal(checkOf(res.body, 'integrity').code, 'OK', `${what}: the content itself is intact`);
    }
  });
});
