import t from 'tap';
import { readFileSync } from 'node:fs';
import { validateChain } from '../../seal/chain';
import { createRootCa, issueCertificate } from '../../seal/certificates';
import { exportPrivateKeyPem, fromPem, generateSealKey, toPem } from '../../seal/keys';
import { newSoftwareSigner } from '../../seal/signer';
import { parseCertificate } from '../../seal/x509';
import { DAY, openssl, sm2Pki, tempDir, throwsCode, writeTemp } from './support';

// OpenSSL 3.0 verifies SM2 certificate signatures with an empty distinguishing ID unless told
// otherwise; GM/T 0015 certificates are signed with the default ID, hence -vfyopt.
const VFY = ['-vfyopt', 'distid:1234567812345678'];

t.test('SM2 CA, maker and signer certificates are real X.509 that OpenSSL accepts', async (t) => {
  const dir = tempDir(t);
  const pki = sm2Pki('测试机构');
  const ca = writeTemp(dir, 'ca.pem', toPem('CERTIFICATE', pki.ca.certificate));
  const maker = writeTemp(dir, 'maker.pem', toPem('CERTIFICATE', pki.maker.certificate));
  const signer = writeTemp(dir, 'signer.pem', toPem('CERTIFICATE', pki.signer.certificate));

  const caText = openssl(['x509', '-in', ca, '-noout', '-text', '-nameopt', 'utf8']);
  t.equal(caText.status, 0, caText.stderr);
  t.match(caText.stdout, /Signature Algorithm: SM2-with-SM3/);
  t.match(caText.stdout, /Public Key Algorithm: id-ecPublicKey/);
  t.match(caText.stdout, /ASN1 OID: SM2/);
  t.match(caText.stdout, /CA:TRUE/);
  t.match(caText.stdout, /Certificate Sign, CRL Sign/);
  t.match(caText.stdout, /CN ?= ?测试机构 SM2 Seal CA/);
  const signerText = openssl(['x509', '-in', signer, '-noout', '-text', '-nameopt', 'utf8']);
  t.match(signerText.stdout, /CA:FALSE/);
  t.match(signerText.stdout, /Digital Signature, Non Repudiation/);

  const verified = openssl(['verify', ...VFY, '-CAfile', ca, maker, signer]);
  t.equal(verified.status, 0, verified.stderr);
  t.match(verified.stdout, /maker\.pem: OK/);
  t.match(verified.stdout, /signer\.pem: OK/);
  // `verify -check_ss_sig` ignores -vfyopt for the root in OpenSSL 3.0, so check the root's
  // self-signature with pkeyutl over the TBSCertificate instead.
  const root = parseCertificate(pki.ca.certificate);
  const caPub = writeTemp(dir, 'ca.pub.pem', openssl(['x509', '-in', ca, '-noout', '-pubkey']).stdout);
  const selfSigned = openssl([
    'pkeyutl', '-verify', '-pubin', '-inkey', caPub, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678',
    '-in', writeTemp(dir, 'ca.tbs', root.tbs), '-sigfile', writeTemp(dir, 'ca.sig', root.signature),
  ]);
  t.equal(selfSigned.status, 0, `root self-signature: ${selfSigned.stderr}`);

  const other = writeTemp(dir, 'other.pem', toPem('CERTIFICATE', createRootCa('SM2', { subject: { commonName: 'Other CA' } }).certificate));
  t.not(openssl(['verify', ...VFY, '-CAfile', other, signer]).status, 0, 'OpenSSL refuses another root');

  const expired = issueCertificate(pki.ca, 'signer', {
    subject: { commonName: 'Expired signer' },
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - 30 * DAY),
  });
  const expiredPath = writeTemp(dir, 'expired.pem', toPem('CERTIFICATE', expired.certificate));
  const expiredRun = openssl(['verify', ...VFY, '-CAfile', ca, expiredPath]);
  t.not(expiredRun.status, 0);
  t.match(expiredRun.stdout + expiredRun.stderr, /certificate has expired/, 'validity window in the past');

  const info = parseCertificate(pki.signer.certificate);
  t.equal(info.publicKey.algorithm, 'SM2');
  t.equal(info.signatureAlgorithm, '1.2.156.10197.1.501');
  t.match(info.subject, /CN=测试机构 签章者/);
  t.match(info.fingerprint, /^[0-9a-f]{64}$/);
});

t.test('RSA CA and signer certificates (node-forge) verify with OpenSSL', async (t) => {
  const dir = tempDir(t);
  const ca = createRootCa('RSA', { subject: { commonName: 'RSA 印章 CA', country: 'CN' } });
  const signer = issueCertificate(ca, 'signer', { subject: { commonName: 'RSA signer' } });
  const caPath = writeTemp(dir, 'ca.pem', toPem('CERTIFICATE', ca.certificate));
  const signerPath = writeTemp(dir, 'signer.pem', toPem('CERTIFICATE', signer.certificate));
  const r = openssl(['verify', '-check_ss_sig', '-CAfile', caPath, signerPath]);
  t.equal(r.status, 0, r.stderr);
  const text = openssl(['x509', '-in', signerPath, '-noout', '-text']).stdout;
  t.match(text, /sha256WithRSAEncryption/);
  t.match(text, /Digital Signature, Non Repudiation/);
  t.equal(validateChain(parseCertificate(signer.certificate), { trustedRoots: [parseCertificate(ca.certificate)], at: new Date() }).code, 'OK');
  t.throws(() => newSoftwareSigner(signer.certificate, generateSealKey('RSA')), /does not belong/);
});

t.test('chain validation: each failure has its own code', async (t) => {
  const pki = sm2Pki();
  const root = parseCertificate(pki.ca.certificate);
  const now = new Date();
  const leaf = parseCertificate(pki.signer.certificate);
  t.equal(validateChain(leaf, { trustedRoots: [root], at: now }).code, 'OK');

  const other = parseCertificate(createRootCa('SM2', { subject: { commonName: 'Other CA' } }).certificate);
  t.equal(validateChain(leaf, { trustedRoots: [other], at: now }).code, 'CERT_UNTRUSTED');

  // Same subject name, different key: the path is found by name but the signature fails.
  const impostor = parseCertificate(createRootCa('SM2', { subject: { commonName: 'Test Org SM2 Seal CA', organization: 'Test Org', country: 'CN' } }).certificate);
  t.equal(validateChain(leaf, { trustedRoots: [impostor], at: now }).code, 'CERT_SIGNATURE_INVALID');

  t.equal(validateChain(leaf, { trustedRoots: [root], at: new Date(leaf.notAfter.getTime() + 1000) }).code, 'CERT_EXPIRED_AT_SIGNING');
  t.equal(validateChain(leaf, { trustedRoots: [root], at: new Date(leaf.notBefore.getTime() - 1000) }).code, 'CERT_NOT_YET_VALID_AT_SIGNING');
  t.equal(validateChain(root, { trustedRoots: [root], at: now }).code, 'CERT_KEY_USAGE_INVALID', 'a CA certificate is not a signer');

  const oldCa = createRootCa('SM2', { subject: { commonName: 'Old CA' }, notBefore: new Date(Date.now() - 3000 * DAY), notAfter: new Date(Date.now() - 1000 * DAY) });
  const oldLeaf = issueCertificate(oldCa, 'signer', { subject: { commonName: 'Old signer' }, notBefore: new Date(Date.now() - 2000 * DAY), notAfter: new Date(Date.now() + 10 * DAY) });
  const r = validateChain(parseCertificate(oldLeaf.certificate), { trustedRoots: [parseCertificate(oldCa.certificate)], at: now });
  t.equal(r.code, 'CERT_EXPIRED_AT_SIGNING', 'an expired root fails the chain');
  t.match(r.message, /Old CA/);
  t.equal(validateChain(parseCertificate(oldLeaf.certificate), { trustedRoots: [parseCertificate(oldCa.certificate)], at: new Date(Date.now() - 1500 * DAY) }).code, 'OK', 'valid at an earlier signing time');

  const intermediate = issueCertificate(pki.ca, 'ca', { subject: { commonName: 'Issuing CA' } });
  const deep = issueCertificate(intermediate, 'signer', { subject: { commonName: 'Deep signer' } });
  const deepInfo = parseCertificate(deep.certificate);
  t.equal(validateChain(deepInfo, { trustedRoots: [root], at: now }).code, 'CERT_UNTRUSTED', 'intermediate missing');
  const ok = validateChain(deepInfo, { trustedRoots: [root], intermediates: [parseCertificate(intermediate.certificate)], at: now });
  t.equal(ok.code, 'OK');
  t.equal(ok.path.length, 3);
});

t.test('OpenSSL-issued SM2 certificates: chains verified here, non-CA issuers refused', async (t) => {
  const dir = tempDir(t);
  const pki = sm2Pki();
  const caPem = writeTemp(dir, 'ca.pem', toPem('CERTIFICATE', pki.ca.certificate));
  const caKey = writeTemp(dir, 'ca.key.pem', exportPrivateKeyPem(pki.ca.privateKey));
  const signerPem = writeTemp(dir, 'signer.pem', toPem('CERTIFICATE', pki.signer.certificate));
  const signerKey = writeTemp(dir, 'signer.key.pem', exportPrivateKeyPem(pki.signer.privateKey));
  const leafKey = `${dir}/leaf.key.pem`;
  t.equal(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', leafKey]).status, 0);
  const csr = `${dir}/leaf.csr`;
  t.equal(openssl(['req', '-new', '-key', leafKey, '-sm3', '-subj', '/CN=OpenSSL leaf', '-out', csr]).status, 0);
  const ext = writeTemp(dir, 'ext.cnf', 'keyUsage=critical,digitalSignature\n');
  const issue = (issuerCert: string, issuerKey: string, out: string): void => {
    const r = openssl(['x509', '-req', '-in', csr, '-CA', issuerCert, '-CAkey', issuerKey, '-sm3', '-sigopt', 'distid:1234567812345678', '-days', '30', '-extfile', ext, '-out', out]);
    t.equal(r.status, 0, r.stderr);
  };
  issue(caPem, caKey, `${dir}/leaf.pem`);
  const leaf = parseCertificate(fromPem(readFileSync(`${dir}/leaf.pem`, 'utf8'), 'CERTIFICATE')[0] as Uint8Array);
  t.equal(validateChain(leaf, { trustedRoots: [parseCertificate(pki.ca.certificate)], at: new Date() }).code, 'OK', 'OpenSSL SM2 signature verifies here');

  issue(signerPem, signerKey, `${dir}/bad.pem`);
  const bad = parseCertificate(fromPem(readFileSync(`${dir}/bad.pem`, 'utf8'), 'CERTIFICATE')[0] as Uint8Array);
  const r = validateChain(bad, { trustedRoots: [parseCertificate(pki.ca.certificate)], intermediates: [parseCertificate(pki.signer.certificate)], at: new Date() });
  t.equal(r.code, 'CERT_NOT_CA');
});

t.test('malformed certificates are SEAL_MALFORMED, never a crash', async (t) => {
  const { signer } = sm2Pki();
  throwsCode(t, () => parseCertificate(signer.certificate.subarray(0, 100)), 'SEAL_MALFORMED', /certificate/);
  throwsCode(t, () => parseCertificate(new Uint8Array([1, 2, 3, 4])), 'SEAL_MALFORMED');
  throwsCode(t, () => parseCertificate(new Uint8Array([...signer.certificate, 0])), 'SEAL_MALFORMED', /trailing/);
  throwsCode(t, () => parseCertificate(new Uint8Array(0)), 'SEAL_MALFORMED');
  throwsCode(t, () => issueCertificate(signer, 'signer', { subject: { commonName: 'x' } }), 'SEAL_INVALID_ARGUMENT', /not a CA/);
});
