/**
 * The seal-level cache of `verifySealSignature` (verify-cache.ts) never changes an answer: every
 * result with a cache equals the result without one — for a tampered seal that keeps its esID,
 * for a maker certificate expired by a later signing time, for another trust set — and it is
 * bounded. Plus the pieces it rests on: `buildChain` + `judgeChainAt` = `validateChain`, and
 * format detection from the first bytes.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { decodeSeal, decodeSignature, decodeSignatureWithSeal, encodeSeal, encodeSealInfo, encodeSignature, type DecodedSeal } from '../../seal/asn1';
import { buildChain, judgeChainAt, validateChain } from '../../seal/chain';
import { createRootCa, issueCertificate } from '../../seal/certificates';
import { signPkcs7 } from '../../seal/pkcs7';
import { documentDigest, signWithSeal } from '../../seal/ses-signature';
import { newSoftwareSigner } from '../../seal/signer';
import { detectFormat, verifySealSignature, type SealVerification } from '../../seal/verify';
import { SealVerifyCache } from '../../seal/verify-cache';
import { parseCertificate } from '../../seal/x509';
import { DAY, sealFor, sm2Pki, throwsCode } from './support';

const pki = sm2Pki('Cache Org');
const roots = [pki.ca.certificate];
const signer = newSoftwareSigner(pki.signer.certificate, pki.signer.privateKey);
const digestOf = (text: string): Uint8Array => documentDigest(new TextEncoder().encode(text));
const codes = (r: SealVerification): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.name, c.code]));

/** Verifies with `cache` and without one; asserts both answers are the same, returns it. */
function both(t: Test, options: Parameters<typeof verifySealSignature>[0], cache: SealVerifyCache, what: string): SealVerification {
  const cached = verifySealSignature({ ...options, cache });
  const fresh = verifySealSignature(options);
  t.same(cached, fresh, `${what}: the same answer with and without the cache`);
  return cached;
}

t.test('a document costs one SM2 verification once its seal is known; answers unchanged', async (t) => {
  const seal = await sealFor(pki);
  const cache = new SealVerifyCache();
  const first = both(t, { signature: await signWithSeal({ seal, signer, digest: digestOf('doc 1'), propertyInfo: 'doc 1' }), digest: digestOf('doc 1'), trustedRoots: roots }, cache, 'first document');
  t.ok(first.ok);
  const { misses } = cache.stats;
  t.equal(misses, 3, 'remembered: the seal, the maker path, the signer path');
  for (let i = 2; i <= 4; i++) {
    const digest = digestOf(`doc ${i}`);
    t.ok(both(t, { signature: await signWithSeal({ seal, signer, digest, propertyInfo: `doc ${i}` }), digest, trustedRoots: roots }, cache, `document ${i}`).ok);
  }
  t.equal(cache.stats.misses, misses, 'no new seal-level work for further documents');
  t.equal(cache.stats.hits, 9, 'three hits per document');
  const other = digestOf('another document');
  const wrong = both(t, { signature: await signWithSeal({ seal, signer, digest: digestOf('doc 1'), propertyInfo: 'x' }), digest: other, trustedRoots: roots }, cache, 'digest mismatch');
  t.equal(codes(wrong).DIGEST, 'DIGEST_MISMATCH', 'the document-level checks still run');
});

t.test('a tampered seal with the same esID is not served from the cache (keyed by its DER digest)', async (t) => {
  const seal = await sealFor(pki);
  const cache = new SealVerifyCache();
  const digest = digestOf('genuine');
  t.ok(both(t, { signature: await signWithSeal({ seal, signer, digest, propertyInfo: 'genuine' }), digest, trustedRoots: roots }, cache, 'genuine seal').ok, 'the genuine seal, cached');

  // Same esID, same maker signature, validity stretched by ten years; the signer (whose key is
  // genuine) signs with it: only the maker's signature over the seal can tell.
  const decoded = decodeSeal(seal);
  const info = decoded.sealInfo;
  const stretched = encodeSealInfo({ ...info, property: { ...info.property, validEnd: new Date(info.property.validEnd.getTime() + 3650 * DAY) } });
  const tampered = encodeSeal(stretched, decoded.cert, decoded.signAlgID, decoded.signedValue);
  t.equal(decodeSeal(tampered).sealInfo.esID, info.esID, 'the same esID');
  const forged = await signWithSeal({ seal: tampered, signer, digest, propertyInfo: 'forged', unchecked: true });
  const result = both(t, { signature: forged, digest, trustedRoots: roots }, cache, 'tampered seal');
  t.notOk(result.ok);
  t.equal(codes(result).SEAL_SIGNATURE, 'SEAL_SIGNATURE_INVALID', "the maker's signature fails");
  t.equal(codes(result).SIGNATURE, 'OK', "the signer's own signature is fine: only the seal check catches it");
  t.not(result.facts.seal?.sealDigest, verifySealSignature({ signature: await signWithSeal({ seal, signer, digest, propertyInfo: 'g' }), digest, trustedRoots: roots }).facts.seal?.sealDigest, 'another seal digest');
  t.equal(codes(both(t, { signature: forged, digest, trustedRoots: roots }, cache, 'tampered seal, again')).SEAL_SIGNATURE, 'SEAL_SIGNATURE_INVALID', 'and again, from the cache');
});

t.test('validity at signing time is judged per document: a cached maker path fails when its certificate has expired by then', async (t) => {
  const now = Date.now();
  const ca = createRootCa('SM2', { subject: { commonName: 'Old CA' }, notBefore: new Date(now - 800 * DAY) });
  const maker = issueCertificate(ca, 'maker', { subject: { commonName: 'Maker until last month' }, notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 30 * DAY) });
  const signerCert = issueCertificate(ca, 'signer', { subject: { commonName: 'Long-lived signer' }, notBefore: new Date(now - 400 * DAY) });
  const seal = await sealFor({ ca, maker, signer: signerCert, outsider: signerCert }, {
    createDate: new Date(now - 365 * DAY),
    validStart: new Date(now - 365 * DAY),
    validEnd: new Date(now + 365 * DAY),
  });
  const sign = newSoftwareSigner(signerCert.certificate, signerCert.privateKey);
  const cache = new SealVerifyCache();
  const trust = [ca.certificate];
  const earlyDigest = digestOf('signed while the maker was valid');
  const early = await signWithSeal({ seal, signer: sign, digest: earlyDigest, propertyInfo: 'early', signingTime: new Date(now - 60 * DAY) });
  t.ok(both(t, { signature: early, digest: earlyDigest, trustedRoots: trust }, cache, 'signed before the maker expired').ok);
  const lateDigest = digestOf('signed after the maker expired');
  const late = await signWithSeal({ seal, signer: sign, digest: lateDigest, propertyInfo: 'late', signingTime: new Date(now - DAY) });
  const hits = cache.stats.hits;
  const result = both(t, { signature: late, digest: lateDigest, trustedRoots: trust }, cache, 'signed after the maker expired');
  t.ok(cache.stats.hits > hits, 'the seal and its paths came from the cache');
  t.equal(codes(result).MAKER_CHAIN, 'CERT_EXPIRED_AT_SIGNING', 'yet the maker certificate is judged at this signing time');
  t.equal(codes(result).SEAL_SIGNATURE, 'OK');
  t.ok(both(t, { signature: late, digest: lateDigest, trustedRoots: trust, makerCheckTime: 'sealCreation' }, cache, 'maker judged at seal creation').ok, 'GM/T 0031-2025 rule: judged at createDate');
});

t.test('another trust set is another key', async (t) => {
  const seal = await sealFor(pki);
  const cache = new SealVerifyCache();
  const digest = digestOf('trust');
  const signature = await signWithSeal({ seal, signer, digest, propertyInfo: 'trust' });
  t.ok(both(t, { signature, digest, trustedRoots: roots }, cache, 'trusted').ok);
  const stranger = createRootCa('SM2', { subject: { commonName: 'Stranger CA' } });
  const untrusted = both(t, { signature, digest, trustedRoots: [stranger.certificate] }, cache, 'roots replaced');
  t.same([codes(untrusted).MAKER_CHAIN, codes(untrusted).SIGNER_CHAIN], ['CERT_UNTRUSTED', 'CERT_UNTRUSTED'], 'not served from the cache');
  t.ok(both(t, { signature, digest, trustedRoots: [stranger.certificate, pki.ca.certificate] }, cache, 'roots added').ok);
  const rsaCa = createRootCa('RSA', { subject: { commonName: 'RSA CA' } });
  const rsaSigner = issueCertificate(rsaCa, 'signer', { subject: { commonName: 'RSA signer' } });
  const p7 = await signPkcs7({ signer: newSoftwareSigner(rsaSigner.certificate, rsaSigner.privateKey), digest });
  t.ok(both(t, { signature: p7, digest, trustedRoots: [rsaCa.certificate] }, cache, 'PKCS#7').ok);
  t.equal(codes(both(t, { signature: p7, digest, trustedRoots: roots }, cache, 'PKCS#7, other roots')).SIGNER_CHAIN, 'CERT_UNTRUSTED');
});

t.test('decoding with a known seal gives what a full decode gives, answers and refusals alike', async (t) => {
  const seal = await sealFor(pki);
  const digest = digestOf('decode');
  const plain = await signWithSeal({ seal, signer, digest, propertyInfo: 'decode' });
  const withExt = await signWithSeal({ seal, signer, digest, propertyInfo: 'ext', extDatas: [{ extnID: '1.2.156.112562.1.1', critical: true, extnValue: new Uint8Array([1, 2]) }] });
  const decoded = decodeSignature(plain);
  const withStamp = encodeSignature(decoded.tbsDer, decoded.cert, decoded.signatureAlgID, decoded.signature, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]));
  const known = new Map<string, DecodedSeal>();
  const sealOf = (der: Uint8Array, read: () => DecodedSeal): DecodedSeal => {
    const key = Buffer.from(der).toString('hex');
    if (!known.has(key)) known.set(key, read());
    return known.get(key) as DecodedSeal;
  };
  const outcome = (fn: () => unknown): unknown => {
    try {
      return { value: fn() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  for (const [signature, what] of [[plain, 'plain'], [withExt, 'extDatas'], [withStamp, 'timeStamp']] as const) {
    t.same(decodeSignatureWithSeal(signature, sealOf), decodeSignature(signature), what);
    t.same(decodeSignatureWithSeal(signature, sealOf), decodeSignature(signature), `${what}, the seal known`);
  }
  t.equal(known.size, 1, 'one seal read');
  fc.assert(
    fc.property(fc.nat(withExt.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (index, xor, truncate) => {
      const mutated = new Uint8Array(withExt);
      mutated[index] = (mutated[index] as number) ^ xor;
      const input = truncate ? mutated.subarray(0, index + 1) : mutated;
      const fast = outcome(() => decodeSignatureWithSeal(input, sealOf));
      const full = outcome(() => decodeSignature(input));
      t.same(fast, full);
      return true;
    }),
    { numRuns: 400, seed: 38540 },
  );
});

t.test('bounded: least recently used entries go first', async (t) => {
  const cache = new SealVerifyCache({ maxEntries: 2 });
  let computed = 0;
  const value = (key: string): string => cache.remember(key, () => `${key}:${++computed}`);
  t.equal(value('a'), 'a:1');
  t.equal(value('b'), 'b:2');
  t.equal(value('a'), 'a:1', 'a hit refreshes a');
  t.equal(value('c'), 'c:3');
  t.equal(cache.stats.size, 2);
  t.equal(value('a'), 'a:1', 'a was kept');
  t.equal(value('b'), 'b:4', 'b was dropped');
  t.throws(() => cache.remember('d', () => {
    throw new Error('no');
  }));
  t.equal(value('d'), 'd:5', 'a throwing computation remembers nothing');
});

t.test('buildChain + judgeChainAt is validateChain', async (t) => {
  const now = Date.now();
  const ca = createRootCa('SM2', { subject: { commonName: 'Chain CA' }, notBefore: new Date(now - 10 * DAY) });
  const leaf = parseCertificate(issueCertificate(ca, 'signer', { subject: { commonName: 'Leaf' }, notBefore: new Date(now - 5 * DAY), notAfter: new Date(now + 5 * DAY) }).certificate);
  const root = parseCertificate(ca.certificate);
  const stranger = parseCertificate(createRootCa('SM2', { subject: { commonName: 'Stranger' } }).certificate);
  for (const trustedRoots of [[root], [stranger], [stranger, root]]) {
    const built = buildChain(leaf, { trustedRoots });
    for (const at of [now - 20 * DAY, now - 7 * DAY, now, now + 7 * DAY]) {
      t.same(judgeChainAt(built, new Date(at)), validateChain(leaf, { trustedRoots, at: new Date(at) }), `roots ${trustedRoots.length}, at ${new Date(at).toISOString()}`);
    }
  }
});

t.test('the format is told from the first bytes', async (t) => {
  const seal = await sealFor(pki);
  const digest = digestOf('format');
  t.equal(detectFormat(await signWithSeal({ seal, signer, digest, propertyInfo: 'f' })), 'GBT38540');
  const rsaCa = createRootCa('RSA', { subject: { commonName: 'RSA CA' } });
  const rsaSigner = issueCertificate(rsaCa, 'signer', { subject: { commonName: 'RSA signer' } });
  t.equal(detectFormat(await signPkcs7({ signer: newSoftwareSigner(rsaSigner.certificate, rsaSigner.privateKey), digest })), 'PKCS7');
  for (const [bytes, what] of [
    [[], 'empty'],
    [[0x30], 'a lone tag'],
    [[0x31, 0x03, 0x30, 0x01, 0x00], 'a SET'],
    [[0x30, 0x03, 0x02, 0x01, 0x04], 'a SEQUENCE of an INTEGER'],
    [[0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01], 'the data OID, not signedData'],
    [[0x30, 0x85, 0, 0, 0, 0, 1, 0x30], 'a five-byte length'],
  ] as const) {
    throwsCode(t, () => detectFormat(new Uint8Array(bytes)), 'SEAL_MALFORMED', undefined, what);
  }
  t.equal(detectFormat(new Uint8Array([0x30, 0x80, 0x30, 0x80])), 'GBT38540', 'indefinite lengths are detected; the decoder refuses what follows');
  throwsCode(t, () => verifySealSignature({ signature: new Uint8Array([0x30, 0x80, 0x30, 0x80]), digest, trustedRoots: roots }), 'SEAL_MALFORMED');
});
