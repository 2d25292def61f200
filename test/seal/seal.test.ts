import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { decodeSeal, decodeSignature } from '../../seal/asn1';
import { createRootCa, issueCertificate } from '../../seal/certificates';
import type { SealCheck } from '../../seal/codes';
import { inspectSeal } from '../../seal/seal-facts';
import { makeSeal } from '../../seal/seal-maker';
import { documentDigest, signWithSeal } from '../../seal/ses-signature';
import { newSoftwareSigner, type SealSigner } from '../../seal/signer';
import { sm2Sign } from '../../seal/sm2';
import { verifySeal, verifySealSignature, type SealVerification } from '../../seal/verify';
import { DAY, png, rejectsCode, sealFor, sm2Pki, throwsCode } from './support';

const doc = new TextEncoder().encode('{"identifier":"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"}');
const pki = sm2Pki();
const signerOf = (c: { certificate: Uint8Array; privateKey: Parameters<typeof newSoftwareSigner>[1] }): SealSigner =>
  newSoftwareSigner(c.certificate, c.privateKey);

/** The codes of all checks, by name. */
function codes(result: SealVerification): Record<string, string> {
  return Object.fromEntries(result.checks.map((c: SealCheck) => [c.name, c.code]));
}

const ALL_OK = {
  SIGNATURE: 'OK',
  SIGNER_IN_SEAL: 'OK',
  SEAL_SIGNATURE: 'OK',
  MAKER_CHAIN: 'OK',
  SIGNER_CHAIN: 'OK',
  SEAL_VALIDITY: 'OK',
  DIGEST: 'OK',
};

/** Asserts that exactly the listed steps fail, with those codes. */
function onlyFails(t: Test, result: SealVerification, failures: Record<string, string>, what: string): void {
  t.same(codes(result), { ...ALL_OK, ...failures }, what);
  t.equal(result.ok, Object.keys(failures).length === 0, `${what}: overall`);
}

t.test('GB/T 38540 round trip: make, sign, verify, facts', async (t) => {
  const seal = await sealFor(pki);
  const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const signature = await signWithSeal({ seal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC-0001', signingTime });
  const result = verifySealSignature({ signature, content: doc, trustedRoots: [pki.ca.certificate] });
  onlyFails(t, result, {}, 'all checks pass');
  t.equal(result.format, 'GBT38540');
  const f = result.facts;
  t.equal(f.signingTime.toISOString(), signingTime.toISOString());
  t.equal(f.propertyInfo, 'LIC-0001');
  t.equal(f.documentDigest, createHash('sm3').update(doc).digest('hex'));
  t.equal(f.signer.fingerprint, createHash('sm3').update(pki.signer.certificate).digest('hex'), 'signer fingerprint = SM3(cert DER)');
  t.equal(f.seal?.esID, 'LC-SEAL-0001');
  t.equal(f.seal?.sealDigest, createHash('sm3').update(seal).digest('hex'), 'seal digest = SM3(SESeal DER)');
  t.equal(f.seal?.name, '某某局业务专用章');
  t.same(f.seal?.signers, { listType: 1, fingerprints: [f.signer.fingerprint] });
  t.equal(f.timeStampPresent, false);
  t.same(inspectSeal(seal), f.seal, 'inspectSeal gives the same facts');

  const byDigest = verifySealSignature({ signature, digest: documentDigest(doc), trustedRoots: [pki.ca.certificate] });
  t.ok(byDigest.ok, 'verifies from the digest alone');

  const decoded = decodeSignature(signature);
  t.equal(decoded.version, 4);
  t.same(decoded.seal.der, seal, 'the seal is embedded byte for byte');
  t.equal(decoded.seal.sealInfo.header.id, 'ES');
  t.equal(decoded.seal.sealInfo.picture.type, 'PNG');
  t.same(decoded.seal.sealInfo.picture.data, png());
  t.equal(decoded.seal.sealInfo.picture.width, 40);

  const alone = verifySeal(seal, { trustedRoots: [pki.ca.certificate] });
  t.same(alone.checks.map((c) => c.code), ['OK', 'OK'], 'seal verified on its own (备案)');
});

t.test('each step fails on its own', async (t) => {
  const seal = await sealFor(pki);
  const roots = [pki.ca.certificate];
  const sign = (opts: Partial<Parameters<typeof signWithSeal>[0]> = {}): Promise<Uint8Array> =>
    signWithSeal({ seal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC', unchecked: true, ...opts } as Parameters<typeof signWithSeal>[0]);

  // Wrong signer: certified by the same CA, not listed in the seal.
  const wrong = await sign({ signer: signerOf(pki.outsider) });
  onlyFails(t, verifySealSignature({ signature: wrong, content: doc, trustedRoots: roots }), { SIGNER_IN_SEAL: 'SIGNER_NOT_IN_SEAL' }, 'wrong signer');
  await rejectsCode(t, () => signWithSeal({ seal, signer: signerOf(pki.outsider), content: doc, propertyInfo: 'LIC' }), 'SEAL_INVALID_ARGUMENT', /not among/);

  // Tampered digest.
  const good = await sign();
  const other = new TextEncoder().encode('{"identifier":"tampered"}');
  onlyFails(t, verifySealSignature({ signature: good, content: other, trustedRoots: roots }), { DIGEST: 'DIGEST_MISMATCH' }, 'other document');

  // Untrusted root: both chains fail, nothing else.
  const stranger = createRootCa('SM2', { subject: { commonName: 'Stranger CA' } });
  onlyFails(
    t,
    verifySealSignature({ signature: good, content: doc, trustedRoots: [stranger.certificate] }),
    { MAKER_CHAIN: 'CERT_UNTRUSTED', SIGNER_CHAIN: 'CERT_UNTRUSTED' },
    'untrusted root',
  );

  // Maker from another organisation's CA, which the verifier does not trust.
  const otherOrg = sm2Pki('Other Org');
  const foreignSeal = await sealFor({ ...pki, maker: otherOrg.maker });
  const foreign = await signWithSeal({ seal: foreignSeal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC' });
  onlyFails(t, verifySealSignature({ signature: foreign, content: doc, trustedRoots: roots }), { MAKER_CHAIN: 'CERT_UNTRUSTED' }, 'untrusted maker');
  t.ok(verifySealSignature({ signature: foreign, content: doc, trustedRoots: [...roots, otherOrg.ca.certificate] }).ok, 'trusting both roots');
});

t.test('validity is judged at signing time', async (t) => {
  const roots = [pki.ca.certificate];
  // Signer certificate valid 400..30 days ago.
  const expired = issueCertificate(pki.ca, 'signer', {
    subject: { commonName: 'Expired signer' },
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - 30 * DAY),
  });
  const seal = await sealFor(pki, { signerCertificates: [pki.signer.certificate, expired.certificate] });
  const late = await signWithSeal({ seal, signer: signerOf(expired), content: doc, propertyInfo: 'LIC', unchecked: true });
  onlyFails(t, verifySealSignature({ signature: late, content: doc, trustedRoots: roots }), { SIGNER_CHAIN: 'CERT_EXPIRED_AT_SIGNING' }, 'signer expired at signing');
  await rejectsCode(t, () => signWithSeal({ seal, signer: signerOf(expired), content: doc, propertyInfo: 'LIC' }), 'SEAL_INVALID_ARGUMENT', /not valid/);
  // The same certificate, signing while it was valid: still verifies today.
  const onTime = await signWithSeal({ seal, signer: signerOf(expired), content: doc, propertyInfo: 'LIC', signingTime: new Date(Date.now() - 100 * DAY), unchecked: true });
  const r = verifySealSignature({ signature: onTime, content: doc, trustedRoots: roots });
  t.equal(codes(r).SIGNER_CHAIN, 'CERT_NOT_YET_VALID_AT_SIGNING', 'the CA (issued 5 min ago) was not valid 100 days ago');

  // A CA and maker that existed 100 days ago, so only the signer's own window matters.
  const oldCa = createRootCa('SM2', { subject: { commonName: 'Old CA' }, notBefore: new Date(Date.now() - 1000 * DAY) });
  const oldMaker = issueCertificate(oldCa, 'maker', { subject: { commonName: 'Old maker' }, notBefore: new Date(Date.now() - 900 * DAY), notAfter: new Date(Date.now() + 365 * DAY) });
  const oldSigner = issueCertificate(oldCa, 'signer', { subject: { commonName: 'Old signer' }, notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 30 * DAY) });
  const oldSeal = await sealFor({ ca: oldCa, maker: oldMaker, signer: oldSigner, outsider: oldSigner });
  const signedThen = await signWithSeal({ seal: oldSeal, signer: signerOf(oldSigner), content: doc, propertyInfo: 'LIC', signingTime: new Date(Date.now() - 100 * DAY) });
  onlyFails(t, verifySealSignature({ signature: signedThen, content: doc, trustedRoots: [oldCa.certificate] }), {}, 'signed while valid, verified after expiry');

  // Seal window: expired, and not yet valid.
  const pastSeal = await sealFor(pki, { validStart: new Date(Date.now() - 300 * DAY), validEnd: new Date(Date.now() - 10 * DAY) });
  const afterEnd = await signWithSeal({ seal: pastSeal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC', unchecked: true });
  onlyFails(t, verifySealSignature({ signature: afterEnd, content: doc, trustedRoots: roots }), { SEAL_VALIDITY: 'SEAL_EXPIRED_AT_SIGNING' }, 'seal expired at signing');
  await rejectsCode(t, () => signWithSeal({ seal: pastSeal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC' }), 'SEAL_INVALID_ARGUMENT', /outside/);
  const futureSeal = await sealFor(pki, { createDate: new Date(), validStart: new Date(Date.now() + 10 * DAY), validEnd: new Date(Date.now() + 100 * DAY) });
  const early = await signWithSeal({ seal: futureSeal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC', unchecked: true });
  onlyFails(t, verifySealSignature({ signature: early, content: doc, trustedRoots: roots }), { SEAL_VALIDITY: 'SEAL_NOT_YET_VALID_AT_SIGNING' }, 'seal not yet valid');

  // Maker certificate that expired after the seal was made.
  const shortMaker = issueCertificate(oldCa, 'maker', { subject: { commonName: 'Short maker' }, notBefore: new Date(Date.now() - 500 * DAY), notAfter: new Date(Date.now() - 200 * DAY) });
  const madeThen = await sealFor({ ca: oldCa, maker: shortMaker, signer: oldSigner, outsider: oldSigner }, { createDate: new Date(Date.now() - 300 * DAY), validStart: new Date(Date.now() - 300 * DAY) });
  const used = await signWithSeal({ seal: madeThen, signer: signerOf(oldSigner), content: doc, propertyInfo: 'LIC', signingTime: new Date(Date.now() - 100 * DAY) });
  const atSigning = verifySealSignature({ signature: used, content: doc, trustedRoots: [oldCa.certificate] });
  onlyFails(t, atSigning, { MAKER_CHAIN: 'CERT_EXPIRED_AT_SIGNING' }, 'maker judged at signing time (default)');
  const atCreation = verifySealSignature({ signature: used, content: doc, trustedRoots: [oldCa.certificate], makerCheckTime: 'sealCreation' });
  onlyFails(t, atCreation, {}, 'maker judged at seal creation (GM/T 0031-2025)');
});

t.test('tampered seal picture breaks the seal signature', async (t) => {
  const seal = await sealFor(pki);
  const flipInPicture = (der: Uint8Array): Uint8Array => {
    const copy = Buffer.from(der);
    const at = copy.indexOf(Buffer.from(png()));
    if (at < 0) throw new Error('picture not found');
    const i = at + 40; // inside IDAT
    copy[i] = (copy[i] as number) ^ 0x01;
    return new Uint8Array(copy);
  };
  // A forged seal (picture swapped after making) signed by a legitimate signer: only the seal breaks.
  const forgedSeal = flipInPicture(seal);
  const signed = await signWithSeal({ seal: forgedSeal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC' });
  const r = verifySealSignature({ signature: signed, content: doc, trustedRoots: [pki.ca.certificate] });
  onlyFails(t, r, { SEAL_SIGNATURE: 'SEAL_SIGNATURE_INVALID' }, 'forged seal');
  t.not(r.facts.seal?.sealDigest, createHash('sm3').update(seal).digest('hex'), 'and its digest differs from the registered one');
  t.equal(verifySeal(forgedSeal, { trustedRoots: [pki.ca.certificate] }).checks[0]?.code, 'SEAL_SIGNATURE_INVALID');

  // The picture changed inside a finished signature: the seal and the signature both break.
  const good = await signWithSeal({ seal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC' });
  onlyFails(
    t,
    verifySealSignature({ signature: flipInPicture(good), content: doc, trustedRoots: [pki.ca.certificate] }),
    { SEAL_SIGNATURE: 'SEAL_SIGNATURE_INVALID', SIGNATURE: 'SIGNATURE_INVALID' },
    'tampered after signing',
  );
});

t.test('digest cert lists (certListType 2)', async (t) => {
  const seal = await sealFor(pki, { certListType: 'digests' });
  const decoded = decodeSeal(seal);
  t.equal(decoded.sealInfo.property.certList.type, 2);
  const ok = await signWithSeal({ seal, signer: signerOf(pki.signer), content: doc, propertyInfo: 'LIC' });
  onlyFails(t, verifySealSignature({ signature: ok, content: doc, trustedRoots: [pki.ca.certificate] }), {}, 'listed by SM3 digest');
  const wrong = await signWithSeal({ seal, signer: signerOf(pki.outsider), content: doc, propertyInfo: 'LIC', unchecked: true });
  onlyFails(t, verifySealSignature({ signature: wrong, content: doc, trustedRoots: [pki.ca.certificate] }), { SIGNER_IN_SEAL: 'SIGNER_NOT_IN_SEAL' }, 'not listed');
});

t.test('pluggable signers: devices, servers, failures', async (t) => {
  const seal = await sealFor(pki);
  // A "device": holds the key elsewhere, answers asynchronously.
  const key = pki.signer.privateKey;
  if (key.algorithm !== 'SM2') throw new Error('SM2 expected');
  const device: SealSigner = {
    certificate: pki.signer.certificate,
    algorithm: 'SM2',
    sign: async (tbs) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return sm2Sign(tbs, key.privateKey);
    },
  };
  const viaDevice = await signWithSeal({ seal, signer: device, content: doc, propertyInfo: 'LIC' });
  t.ok(verifySealSignature({ signature: viaDevice, content: doc, trustedRoots: [pki.ca.certificate] }).ok);

  await rejectsCode(t, () => signWithSeal({ seal, signer: { ...device, sign: async () => new Uint8Array(72) }, content: doc, propertyInfo: 'LIC' }), 'SEAL_SIGNER_FAILED', /does not verify/);
  await rejectsCode(t, () => signWithSeal({ seal, signer: { ...device, sign: () => Promise.reject(new Error('USBKey removed')) }, content: doc, propertyInfo: 'LIC' }), 'SEAL_SIGNER_FAILED', /USBKey removed/);
  const otherKey = sm2Pki('x').signer.privateKey;
  if (otherKey.algorithm !== 'SM2') throw new Error('SM2 expected');
  await rejectsCode(t, () => makeSeal({
    maker: { certificate: pki.maker.certificate, algorithm: 'SM2', sign: async (tbs) => sm2Sign(tbs, otherKey.privateKey) },
    name: 'x', signerCertificates: [pki.signer.certificate], validStart: new Date(), validEnd: new Date(Date.now() + DAY),
    picture: { data: png(), widthMm: 40, heightMm: 40 },
  }), 'SEAL_SIGNER_FAILED');
  throwsCode(t, () => newSoftwareSigner(pki.signer.certificate, pki.maker.privateKey), 'SEAL_KEY_INVALID');
});

t.test('seal making refuses unusable input', async (t) => {
  const base = {
    maker: signerOf(pki.maker),
    name: '专用章',
    signerCertificates: [pki.signer.certificate],
    validStart: new Date(),
    validEnd: new Date(Date.now() + DAY),
    picture: { data: png(), widthMm: 40, heightMm: 40 },
  };
  await rejectsCode(t, () => makeSeal({ ...base, picture: { data: new Uint8Array([1, 2, 3]), widthMm: 40, heightMm: 40 } }), 'SEAL_INVALID_ARGUMENT', /PNG/);
  await rejectsCode(t, () => makeSeal({ ...base, validEnd: base.validStart }), 'SEAL_INVALID_ARGUMENT', /validEnd/);
  await rejectsCode(t, () => makeSeal({ ...base, signerCertificates: [] }), 'SEAL_INVALID_ARGUMENT');
  await rejectsCode(t, () => makeSeal({ ...base, esID: '印章1' }), 'SEAL_INVALID_ARGUMENT', /ASCII/);
  await rejectsCode(t, () => makeSeal({ ...base, picture: { data: png(), widthMm: 0, heightMm: 40 } }), 'SEAL_INVALID_ARGUMENT', /widthMm/);
  await rejectsCode(t, () => makeSeal({ ...base, signerCertificates: [new Uint8Array([0x30, 0])] }), 'SEAL_MALFORMED');
  const rsaCa = createRootCa('RSA', { subject: { commonName: 'RSA CA' } });
  const rsaSigner = issueCertificate(rsaCa, 'signer', { subject: { commonName: 'RSA signer' } });
  await rejectsCode(t, () => makeSeal({ ...base, signerCertificates: [rsaSigner.certificate] }), 'SEAL_INVALID_ARGUMENT', /not SM2/);
  await rejectsCode(t, () => makeSeal({ ...base, maker: signerOf(rsaSigner) }), 'SEAL_INVALID_ARGUMENT', /SM2/);
  const seal = await sealFor(pki);
  await rejectsCode(t, () => signWithSeal({ seal, signer: signerOf(rsaSigner), content: doc, propertyInfo: 'x' }), 'SEAL_INVALID_ARGUMENT', /signPkcs7/);
  await rejectsCode(t, () => signWithSeal({ seal, signer: signerOf(pki.signer), digest: new Uint8Array(20), propertyInfo: 'x' }), 'SEAL_INVALID_ARGUMENT', /32 bytes/);
  throwsCode(t, () => verifySealSignature({ signature: seal, trustedRoots: [] } as never), 'SEAL_INVALID_ARGUMENT', /content or its SM3 digest/);
});
