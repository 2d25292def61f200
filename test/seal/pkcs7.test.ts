import t from 'tap';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CodedError } from '../../domain/coded-error';
import { createRootCa, issueCertificate, type CertifiedKey } from '../../seal/certificates';
import { exportPrivateKeyPem, toPem } from '../../seal/keys';
import { signPkcs7 } from '../../seal/pkcs7';
import { documentDigest } from '../../seal/ses-signature';
import { newSoftwareSigner } from '../../seal/signer';
import { verifySealSignature, type SealVerification } from '../../seal/verify';
import { DAY, openssl, rejectsCode, tempDir, throwsCode, writeTemp } from './support';

const ca = createRootCa('RSA', { subject: { commonName: 'RSA Seal CA', organization: '某某局', country: 'CN' } });
const signer = issueCertificate(ca, 'signer', { subject: { commonName: 'RSA 签章者' } });
const roots = [ca.certificate];
const doc = new TextEncoder().encode('{"identifier":"LIC-RSA-1"}');
const digest = documentDigest(doc);
const software = (k: CertifiedKey) => newSoftwareSigner(k.certificate, k.privateKey);
const codes = (r: SealVerification): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.name, c.code]));
const OK = { SIGNATURE: 'OK', SIGNER_CHAIN: 'OK', DIGEST: 'OK' };

t.test('PKCS#7 round trip and facts', async (t) => {
  const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
  const sig = await signPkcs7({ signer: software(signer), content: doc, signingTime });
  const r = verifySealSignature({ signature: sig, content: doc, trustedRoots: roots });
  t.same(codes(r), OK);
  t.ok(r.ok);
  t.equal(r.format, 'PKCS7');
  t.equal(r.facts.signingTime.toISOString(), signingTime.toISOString());
  t.equal(r.facts.signer.fingerprint, createHash('sm3').update(signer.certificate).digest('hex'));
  t.equal(r.facts.documentDigest, Buffer.from(digest).toString('hex'));
  t.equal(r.facts.seal, undefined);
  t.ok(verifySealSignature({ signature: sig, digest, trustedRoots: roots }).ok, 'from the digest alone');
  t.ok(verifySealSignature({ signature: await signPkcs7({ signer: software(signer), digest }), content: doc, trustedRoots: roots }).ok, 'signed from the digest');
});

t.test('each PKCS#7 step fails on its own', async (t) => {
  const sig = await signPkcs7({ signer: software(signer), content: doc });
  t.same(codes(verifySealSignature({ signature: sig, content: new TextEncoder().encode('other'), trustedRoots: roots })), { ...OK, DIGEST: 'DIGEST_MISMATCH' }, 'tampered digest');
  const stranger = createRootCa('RSA', { subject: { commonName: 'Stranger' } });
  t.same(codes(verifySealSignature({ signature: sig, content: doc, trustedRoots: [stranger.certificate] })), { ...OK, SIGNER_CHAIN: 'CERT_UNTRUSTED' }, 'untrusted root');
  const flipped = new Uint8Array(sig);
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x01; // last byte of the RSA signature
  t.same(codes(verifySealSignature({ signature: flipped, content: doc, trustedRoots: roots })), { ...OK, SIGNATURE: 'SIGNATURE_INVALID' }, 'tampered signature');

  const expired = issueCertificate(ca, 'signer', { subject: { commonName: 'Expired' }, notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
  const late = await signPkcs7({ signer: software(expired), content: doc });
  t.same(codes(verifySealSignature({ signature: late, content: doc, trustedRoots: roots })), { ...OK, SIGNER_CHAIN: 'CERT_EXPIRED_AT_SIGNING' }, 'expired at signing');
});

t.test('intermediates carried in the SignedData complete the chain', async (t) => {
  const issuing = issueCertificate(ca, 'ca', { subject: { commonName: 'Issuing CA' } });
  const deep = issueCertificate(issuing, 'signer', { subject: { commonName: 'Deep signer' } });
  const withChain = await signPkcs7({ signer: software(deep), content: doc, certificates: [issuing.certificate] });
  t.ok(verifySealSignature({ signature: withChain, content: doc, trustedRoots: roots }).ok);
  const without = await signPkcs7({ signer: software(deep), content: doc });
  t.equal(codes(verifySealSignature({ signature: without, content: doc, trustedRoots: roots })).SIGNER_CHAIN, 'CERT_UNTRUSTED');
  t.ok(verifySealSignature({ signature: without, content: doc, trustedRoots: roots, intermediates: [issuing.certificate] }).ok, 'or supplied by the caller');
});

t.test('OpenSSL cms verifies ours, and ours verifies OpenSSL cms / smime', async (t) => {
  const dir = tempDir(t);
  const caPem = writeTemp(dir, 'ca.pem', toPem('CERTIFICATE', ca.certificate));
  const signerPem = writeTemp(dir, 'signer.pem', toPem('CERTIFICATE', signer.certificate));
  const signerKey = writeTemp(dir, 'signer.key.pem', exportPrivateKeyPem(signer.privateKey));
  const digestPath = writeTemp(dir, 'digest.bin', digest);

  const ours = writeTemp(dir, 'ours.p7s', await signPkcs7({ signer: software(signer), content: doc }));
  const v = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', ours, '-content', digestPath, '-CAfile', caPem, '-out', `${dir}/out.bin`]);
  t.equal(v.status, 0, v.stderr);
  t.match(v.stderr, /Verification successful/);
  t.same(readFileSync(`${dir}/out.bin`), Buffer.from(digest));
  const wrongPath = writeTemp(dir, 'wrong.bin', documentDigest(new TextEncoder().encode('x')));
  t.not(openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', ours, '-content', wrongPath, '-CAfile', caPem, '-out', '/dev/null']).status, 0, 'OpenSSL refuses another digest');
  const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', ours]).stdout;
  t.match(printed, /signingTime/);

  for (const [tool, extra] of [['cms', ['-md', 'sha256']], ['smime', ['-md', 'sha256']]] as const) {
    const out = `${dir}/${tool}.der`;
    const s = openssl([tool, '-sign', '-binary', '-in', digestPath, '-signer', signerPem, '-inkey', signerKey, '-outform', 'DER', '-out', out, ...extra]);
    t.equal(s.status, 0, s.stderr);
    const r = verifySealSignature({ signature: new Uint8Array(readFileSync(out)), content: doc, trustedRoots: roots });
    t.same(codes(r), OK, `openssl ${tool} -sign verifies here`);
    t.ok(Math.abs(r.facts.signingTime.getTime() - Date.now()) < 60_000, 'its signingTime is read');
  }
  const attached = `${dir}/attached.der`;
  t.equal(openssl(['cms', '-sign', '-binary', '-nodetach', '-in', digestPath, '-signer', signerPem, '-inkey', signerKey, '-outform', 'DER', '-out', attached]).status, 0);
  t.ok(verifySealSignature({ signature: new Uint8Array(readFileSync(attached)), digest, trustedRoots: roots }).ok, 'attached content accepted when it is the digest');
  t.equal(codes(verifySealSignature({ signature: new Uint8Array(readFileSync(attached)), content: new TextEncoder().encode('x'), trustedRoots: roots })).DIGEST, 'DIGEST_MISMATCH');

  const noCerts = `${dir}/nocerts.der`;
  t.equal(openssl(['cms', '-sign', '-binary', '-nocerts', '-in', digestPath, '-signer', signerPem, '-inkey', signerKey, '-outform', 'DER', '-out', noCerts]).status, 0);
  throwsCode(t, () => verifySealSignature({ signature: new Uint8Array(readFileSync(noCerts)), content: doc, trustedRoots: roots }), 'SEAL_MALFORMED', /not included/);
  const noAttr = `${dir}/noattr.der`;
  t.equal(openssl(['cms', '-sign', '-binary', '-noattr', '-in', digestPath, '-signer', signerPem, '-inkey', signerKey, '-outform', 'DER', '-out', noAttr]).status, 0);
  throwsCode(t, () => verifySealSignature({ signature: new Uint8Array(readFileSync(noAttr)), content: doc, trustedRoots: roots }), 'SEAL_MALFORMED', /signed attributes/);
  const second = issueCertificate(ca, 'signer', { subject: { commonName: 'Second' } });
  const twoSigners = `${dir}/two.der`;
  t.equal(
    openssl(['cms', '-sign', '-binary', '-in', digestPath, '-signer', signerPem, '-inkey', signerKey,
      '-signer', writeTemp(dir, 's2.pem', toPem('CERTIFICATE', second.certificate)), '-inkey', writeTemp(dir, 's2.key.pem', exportPrivateKeyPem(second.privateKey)),
      '-outform', 'DER', '-out', twoSigners]).status,
    0,
  );
  throwsCode(t, () => verifySealSignature({ signature: new Uint8Array(readFileSync(twoSigners)), content: doc, trustedRoots: roots }), 'SEAL_MALFORMED', /exactly one/);
});

t.test('malformed PKCS#7 and wrong signers', async (t) => {
  const sig = await signPkcs7({ signer: software(signer), content: doc });
  for (const cut of [3, 40, sig.length - 1]) {
    throwsCode(t, () => verifySealSignature({ signature: sig.subarray(0, cut), content: doc, trustedRoots: roots }), 'SEAL_MALFORMED', undefined, `truncated at ${cut}`);
  }
  const sm2Ca = createRootCa('SM2', { subject: { commonName: 'SM2' } });
  const sm2Signer = issueCertificate(sm2Ca, 'signer', { subject: { commonName: 'SM2 signer' } });
  await rejectsCode(t, () => signPkcs7({ signer: software(sm2Signer), content: doc }), 'SEAL_INVALID_ARGUMENT', /RSA/);
  await rejectsCode(t, () => signPkcs7({ signer: { ...software(signer), sign: async () => new Uint8Array(256) }, content: doc }), 'SEAL_SIGNER_FAILED');
});

t.test('random corruption of a PKCS#7 signature is SEAL_MALFORMED or a failed check', async (t) => {
  const sig = await signPkcs7({ signer: software(signer), content: doc });
  fc.assert(
    fc.property(fc.nat(sig.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (index, xor, truncate) => {
      const mutated = new Uint8Array(sig);
      mutated[index] = (mutated[index] as number) ^ xor;
      try {
        verifySealSignature({ signature: truncate ? mutated.subarray(0, index + 1) : mutated, content: doc, trustedRoots: roots });
        return true;
      } catch (error) {
        return error instanceof CodedError && error.code === 'SEAL_MALFORMED';
      }
    }),
    { numRuns: 250, seed: 5652 },
  );
  t.pass('no other exception escaped');
});
