/**
 * The worker-thread signer pool: its signatures verify (GB/T 38540 and PKCS#7, many at once, on
 * every thread), its signers check their own output, a thread that crashes fails the signatures it
 * held cleanly and is replaced, and close ends every thread and refuses later signatures.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { decodeSignature } from '../../seal/asn1';
import { createRootCa, issueCertificate } from '../../seal/certificates';
import { generateSealKey } from '../../seal/keys';
import { signPkcs7 } from '../../seal/pkcs7';
import { documentDigest, signWithSeal } from '../../seal/ses-signature';
import { SignerPool } from '../../seal/signer-pool';
import { sm2Verify } from '../../seal/sm2';
import { parseCertificate } from '../../seal/x509';
import { verifySealSignature } from '../../seal/verify';
import { rejectsCode, sealFor, sm2Pki, throwsCode } from './support';

const pki = sm2Pki('Pool Org');
const doc = (n: number): Uint8Array => new TextEncoder().encode(`{"identifier":"LIC-POOL-${n}"}`);

t.test('SM2: seal signatures made on the threads verify, many at once', async (t) => {
  const pool = new SignerPool({ threads: 2 });
  t.teardown(() => pool.close());
  const seal = await sealFor(pki);
  const signer = pool.signer(pki.signer.certificate, pki.signer.privateKey);
  t.equal(signer.checksOwnSignatures, true);
  t.equal(signer.algorithm, 'SM2');
  const signatures = await Promise.all(Array.from({ length: 40 }, (_, n) => signWithSeal({ seal, signer, content: doc(n), propertyInfo: `LIC-POOL-${n}` })));
  signatures.forEach((signature, n) => {
    const result = verifySealSignature({ signature, content: doc(n), trustedRoots: [pki.ca.certificate] });
    if (!result.ok) t.fail(`signature ${n}: ${JSON.stringify(result.checks.filter((c) => !c.ok))}`);
  });
  t.pass('40 signatures verify');
  // The raw signer: SM2 over the bytes given, with the certificate's key.
  const tbs = new TextEncoder().encode('to be signed');
  const raw = await signer.sign(tbs);
  const info = parseCertificate(pki.signer.certificate);
  t.ok(sm2Verify(tbs, raw, (info.publicKey as { point: Uint8Array }).point));
});

t.test('the decoded seal is reused only while its array holds the same bytes', async (t) => {
  const pool = new SignerPool({ threads: 1 });
  t.teardown(() => pool.close());
  const signer = pool.signer(pki.signer.certificate, pki.signer.privateKey);
  const first = await sealFor(pki, { esID: 'LC-SEAL-0001' });
  let second = await sealFor(pki, { esID: 'LC-SEAL-0002' });
  while (second.length !== first.length) second = await sealFor(pki, { esID: 'LC-SEAL-0002' }); // DER lengths vary by a byte
  const bytes = new Uint8Array(first);
  const esIdOf = async (): Promise<string> => decodeSignature(await signWithSeal({ seal: bytes, signer, content: doc(1), propertyInfo: 'X' })).seal.sealInfo.esID;
  t.equal(await esIdOf(), 'LC-SEAL-0001');
  t.equal(await esIdOf(), 'LC-SEAL-0001', 'from the cache');
  bytes.set(second);
  t.equal(await esIdOf(), 'LC-SEAL-0002', 'the same array, other bytes: decoded again');
});

t.test('RSA: PKCS#7 signatures made on the threads verify', async (t) => {
  const pool = new SignerPool({ threads: 1 });
  t.teardown(() => pool.close());
  const ca = createRootCa('RSA', { subject: { commonName: 'Pool RSA CA' } });
  const rsa = issueCertificate(ca, 'signer', { subject: { commonName: 'Pool RSA signer' } });
  const signer = pool.signer(rsa.certificate, rsa.privateKey);
  const signatures = await Promise.all([1, 2, 3].map((n) => signPkcs7({ signer, digest: documentDigest(doc(n)) })));
  signatures.forEach((signature, i) => t.ok(verifySealSignature({ signature, content: doc(i + 1), trustedRoots: [ca.certificate] }).ok, `signature ${i + 1}`));
});

t.test('a key that is not the certificate’s is refused', async (t) => {
  const pool = new SignerPool({ threads: 1 });
  t.teardown(() => pool.close());
  throwsCode(t, () => pool.signer(pki.signer.certificate, generateSealKey('SM2')), 'SEAL_KEY_INVALID');
  throwsCode(t, () => new SignerPool({ threads: 0 }), 'SEAL_INVALID_ARGUMENT');
});

t.test('a crashed thread fails the signatures it held, then is replaced', async (t) => {
  const pool = new SignerPool({ threads: 1 });
  t.teardown(() => pool.close());
  const seal = await sealFor(pki);
  const signer = pool.signer(pki.signer.certificate, pki.signer.privateKey);
  await signer.sign(new Uint8Array([1])); // the thread is up
  pool.crashThread(0);
  // The thread's next batch: held by it when it dies.
  const held = Array.from({ length: 5 }, (_, n) => signWithSeal({ seal, signer, content: doc(n), propertyInfo: 'X' }));
  const outcomes = await Promise.allSettled(held);
  for (const outcome of outcomes) {
    t.equal(outcome.status, 'rejected');
    if (outcome.status === 'rejected') {
      t.equal((outcome.reason as { code?: string }).code, 'SEAL_SIGNER_FAILED');
      t.match((outcome.reason as Error).message, /signer thread 0 stopped/);
    }
  }
  const after = await signWithSeal({ seal, signer, content: doc(99), propertyInfo: 'X' });
  t.ok(verifySealSignature({ signature: after, content: doc(99), trustedRoots: [pki.ca.certificate] }).ok, 'a new thread signs');
});

t.test('close ends the threads; later and outstanding signatures reject', async (t) => {
  const pool = new SignerPool({ threads: 2 });
  const signer = pool.signer(pki.signer.certificate, pki.signer.privateKey);
  await Promise.all([signer.sign(new Uint8Array([1])), signer.sign(new Uint8Array([2]))]);
  const outstanding = t.rejects(signer.sign(new Uint8Array([3])), /closed/);
  await pool.close();
  await outstanding;
  await rejectsCode(t, () => signWithSeal({ seal: new Uint8Array(0), signer, content: doc(1), propertyInfo: 'X', unchecked: true }), 'SEAL_MALFORMED');
  await t.rejects(signer.sign(new Uint8Array([4])), /closed/);
  await pool.close(); // idempotent
  throwsCode(t, () => pool.signer(pki.signer.certificate, pki.signer.privateKey), 'SEAL_SIGNER_FAILED', /closed/);
});

t.test('an idle pool does not keep the process alive', async (t) => {
  // A process that signs once and never closes its pool still ends.
  const script = `
    const { SignerPool } = require(${JSON.stringify(join(__dirname, '../../seal/signer-pool.js'))});
    const { generateSealKey } = require(${JSON.stringify(join(__dirname, '../../seal/keys.js'))});
    const { createRootCa, issueCertificate } = require(${JSON.stringify(join(__dirname, '../../seal/certificates.js'))});
    const ca = createRootCa('SM2', { subject: { commonName: 'CA' } });
    const s = issueCertificate(ca, 'signer', { subject: { commonName: 'S' } });
    const signer = new SignerPool({ threads: 2 }).signer(s.certificate, s.privateKey);
    signer.sign(new Uint8Array([1])).then((sig) => console.log('signed', sig.length > 0));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(run.signal, null, 'ended by itself');
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /signed true/);
});
