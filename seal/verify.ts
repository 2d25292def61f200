/**
 * Verifying a seal signature, every step on its own (standards.md §4): a failed step never hides
 * the others, and each carries a stable code from `codes.ts`. Malformed input is not a result but
 * a thrown `SEAL_MALFORMED` (HTTP 400 at the API, api.md).
 *
 * Time: certificates and the seal window are judged at the signing time the signature states
 * (TBS_Sign.timeInfo, or the PKCS#7 signingTime attribute). That time is the signer's claim; the
 * verifier additionally asks the ledger whether the seal was active and the signer authorised then,
 * using the returned facts.
 */
import { createHash, verify as nodeVerify } from 'node:crypto';
import { decodeSeal, decodeSignature, decodeSignatureWithSeal, type DecodedSeal } from './asn1';
import { buildChain, judgeChainAt } from './chain';
import { check, sealError, type SealCheck } from './codes';
import { sameBytes, sm3, toHex } from './internal';
import { OID } from './oids';
import { decodePkcs7 } from './pkcs7';
import { sealFacts, signerListedInSeal, type SealFacts } from './seal-facts';
import { resolveDigest } from './ses-signature';
import { sm2Verify } from './sm2';
import { type SealVerifyCache, chainKey, sealKey } from './verify-cache';
import { parseCertificate, type CertificateInfo } from './x509';

/** Seal formats, as named in api.md. */
export type SealFormat = 'GBT38540' | 'PKCS7';

/** The roots (and helpers) a caller trusts for seal makers and signers. */
export interface TrustOptions {
  /** DER root certificates the caller trusts for makers and signers. */
  readonly trustedRoots: readonly Uint8Array[];
  /** DER intermediate certificates that may complete a chain. */
  readonly intermediates?: readonly Uint8Array[];
}

/** Options of {@link verifySealSignature}. */
export type VerifySealSignatureOptions = TrustOptions & {
  /** SES_Signature or PKCS#7 ContentInfo, DER; the format is detected. */
  readonly signature: Uint8Array;
  /** The protected document bytes … */
  readonly content?: Uint8Array;
  /** … or their SM3 digest (32 bytes). Exactly one of the two. */
  readonly digest?: Uint8Array;
  /**
   * When the maker chain is judged: at the signing time (default, like the signer chain), or at
   * the seal's createDate (GM/T 0031-2025's rule, so seals outlive a renewed maker certificate).
   */
  readonly makerCheckTime?: 'signing' | 'sealCreation';
  /**
   * Remembers the document-independent results (the maker's seal signature, the certificate
   * paths) between calls; the answer is the same with or without it (`verify-cache.ts`).
   */
  readonly cache?: SealVerifyCache;
};

/** Identity of the signer certificate. */
export interface SignerFacts {
  /** SM3 of the signer certificate DER, lower-case hex. */
  readonly fingerprint: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly certificate: Uint8Array;
}

/** What the ledger check needs, whatever the step results. */
export interface SealSignatureFacts {
  readonly format: SealFormat;
  /** Signing time stated in the signature. */
  readonly signingTime: Date;
  /** The document digest the signature protects, lower-case hex (SM3). */
  readonly documentDigest: string;
  readonly signer: SignerFacts;
  /** TBS_Sign.propertyInfo (GB/T 38540 only). */
  readonly propertyInfo?: string;
  /** The seal (GB/T 38540 only); PKCS#7 seals are identified by the ledger's seal reference. */
  readonly seal?: SealFacts;
  /** True when an (unverified) SES_Signature.timeStamp is present. */
  readonly timeStampPresent: boolean;
}

/** Result of {@link verifySealSignature}: every step, and the facts for the ledger check. */
export interface SealVerification {
  /** True when every check passed. */
  readonly ok: boolean;
  readonly format: SealFormat;
  readonly checks: readonly SealCheck[];
  readonly facts: SealSignatureFacts;
}

/**
 * Verifies a seal signature of either format. Throws `SEAL_MALFORMED` for unreadable input and
 * `SEAL_INVALID_ARGUMENT` for missing content/digest or unreadable trusted certificates.
 *
 * @example
 * ```ts
 * const result = verifySealSignature({ signature, content, trustedRoots: [orgCaDer] });
 * if (!result.ok) console.log(result.checks.filter((c) => !c.ok));
 * // then ask the ledger: seal result.facts.seal?.sealDigest active, signer
 * // result.facts.signer.fingerprint authorised, at result.facts.signingTime
 * ```
 */
export function verifySealSignature(options: VerifySealSignatureOptions): SealVerification {
  const expected = resolveDigest(options);
  const roots = parseTrusted(options.trustedRoots, 'trusted root');
  const intermediates = parseTrusted(options.intermediates ?? [], 'intermediate');
  const trust: Trust = { roots, intermediates, cache: options.cache };
  return detectFormat(options.signature) === 'PKCS7'
    ? verifyPkcs7(options.signature, expected, trust)
    : verifySes(options.signature, expected, trust, options.makerCheckTime ?? 'signing');
}

/** Trusted certificates, parsed, and the cache of document-independent results if any. */
interface Trust {
  readonly roots: readonly CertificateInfo[];
  readonly intermediates: readonly CertificateInfo[];
  readonly cache: SealVerifyCache | undefined;
}

/** DER of the PKCS#7 signedData content type OID, 1.2.840.113549.1.7.2. */
const SIGNED_DATA_OID = Buffer.from('2a864886f70d010702', 'hex');

/**
 * The format of a DER seal signature, from its first bytes: a SEQUENCE whose first element is the
 * signedData OID (PKCS#7 ContentInfo) or a SEQUENCE (SES_Signature's TBS_Sign). Nothing else is
 * parsed here — the format's own decoder reads (and refuses) the whole. Throws `SEAL_MALFORMED`
 * when it is neither.
 */
export function detectFormat(signature: Uint8Array): SealFormat {
  const outer = signature instanceof Uint8Array ? headerAt(signature, 0) : undefined;
  if (outer && signature[0] === 0x30) {
    const first = headerAt(signature, outer.contentStart);
    const tag = signature[outer.contentStart];
    if (first && tag === 0x06 && first.length === SIGNED_DATA_OID.length) {
      const value = signature.subarray(first.contentStart, first.contentStart + first.length);
      if (SIGNED_DATA_OID.equals(value)) return 'PKCS7';
    }
    // A SEQUENCE (universal class, tag number 16), as asn1js reported it before.
    if (first && tag !== undefined && (tag & 0xdf) === 0x10) return 'GBT38540';
  }
  throw sealError('SEAL_MALFORMED', 'neither a GB/T 38540 SES_Signature nor a PKCS#7 SignedData');
}

/**
 * The low-tag-number TLV header at `offset`: where its content starts and its length (undefined
 * for an indefinite length). Undefined when the bytes end first or the header is not BER.
 */
function headerAt(bytes: Uint8Array, offset: number): { contentStart: number; length: number | undefined } | undefined {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  if (first < 0x80) return { contentStart: offset + 2, length: first };
  if (first === 0x80) return (tag & 0x20) !== 0 ? { contentStart: offset + 2, length: undefined } : undefined;
  const count = first & 0x7f;
  if (count > 4 || offset + 2 + count > bytes.length) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
  return { contentStart: offset + 2 + count, length };
}

/** The seal's own results: the maker certificate, the maker's signature over the seal, the facts. */
interface SealLevel {
  readonly maker: CertificateInfo;
  readonly signature: SealCheck;
  readonly facts: SealFacts;
}

/** What the cache keeps per seal (by the SM3 of its DER): the decoded seal, then its own results. */
interface SealEntry {
  readonly decoded: DecodedSeal;
  level?: SealLevel;
}

function computeSealLevel(seal: DecodedSeal): SealLevel {
  const maker = parseCertificate(seal.cert, 'SESeal.cert');
  return Object.freeze({ maker, signature: Object.freeze(sealSignatureCheck(seal, maker)), facts: Object.freeze(sealFacts(seal)) });
}

function verifySes(der: Uint8Array, expected: Uint8Array, trust: Trust, makerTime: 'signing' | 'sealCreation'): SealVerification {
  const cache = trust.cache;
  let entry: SealEntry | undefined;
  const sig = cache
    ? decodeSignatureWithSeal(der, (sealDer, read) => {
        entry = cache.remember<SealEntry>(sealKey(toHex(sm3(sealDer))), () => ({ decoded: Object.freeze(read()) }));
        return entry.decoded;
      })
    : decodeSignature(der);
  const seal = sig.seal;
  if (sig.signatureAlgID !== OID.sm3WithSm2) {
    throw sealError('SEAL_MALFORMED', `SES_Signature.signatureAlgID ${sig.signatureAlgID} is not SM3withSM2 (${OID.sm3WithSm2})`);
  }
  if (seal.signAlgID !== OID.sm3WithSm2) {
    throw sealError('SEAL_MALFORMED', `SESeal.signAlgID ${seal.signAlgID} is not SM3withSM2 (${OID.sm3WithSm2})`);
  }
  const signer = parseCertificate(sig.cert, 'SES_Signature.cert');
  // The seal's own results come after the checks above, in the order the seal's errors have always had.
  let level: SealLevel;
  if (entry && entry.decoded === seal) level = entry.level ??= computeSealLevel(seal);
  else level = computeSealLevel(seal); // no cache, or decodeSignatureWithSeal fell back to a full decode
  const { maker, signature: makerSignature, facts: sealFactsOf } = level;
  const at = sig.timeInfo;
  const p = seal.sealInfo.property;

  const checks: SealCheck[] = [
    signer.publicKey.algorithm !== 'SM2'
      ? check('SIGNATURE', 'SIGNATURE_INVALID', `signer key is ${signer.publicKey.algorithm}; SM3withSM2 needs an SM2 key`)
      : sm2Verify(sig.tbsDer, sig.signature, signer.publicKey.point)
        ? check('SIGNATURE', 'OK', `TBS_Sign signed by "${signer.subject}"`)
        : check('SIGNATURE', 'SIGNATURE_INVALID'),
    signerListedInSeal(seal.sealInfo, signer.der)
      ? check('SIGNER_IN_SEAL', 'OK', `"${signer.subject}" is listed in seal ${seal.sealInfo.esID}`)
      : check('SIGNER_IN_SEAL', 'SIGNER_NOT_IN_SEAL', `"${signer.subject}" is not listed in seal ${seal.sealInfo.esID}`),
    { ...makerSignature },
    chainCheck('MAKER_CHAIN', maker, trust, trust.intermediates, makerTime === 'sealCreation' ? p.createDate : at),
    chainCheck('SIGNER_CHAIN', signer, trust, trust.intermediates, at),
    sealWindowCheck(seal, at),
    sameBytes(sig.dataHash, expected)
      ? check('DIGEST', 'OK', 'document digest matches')
      : check('DIGEST', 'DIGEST_MISMATCH'),
  ];
  return {
    ok: checks.every((c) => c.ok),
    format: 'GBT38540',
    checks,
    facts: {
      format: 'GBT38540',
      signingTime: at,
      documentDigest: toHex(sig.dataHash),
      signer: signerFacts(signer),
      propertyInfo: sig.propertyInfo,
      seal: sealFactsOf,
      timeStampPresent: sig.timeStamp !== undefined,
    },
  };
}

function sealSignatureCheck(seal: DecodedSeal, maker: CertificateInfo): SealCheck {
  if (maker.publicKey.algorithm !== 'SM2') {
    return check('SEAL_SIGNATURE', 'SEAL_SIGNATURE_INVALID', `maker key is ${maker.publicKey.algorithm}; SM3withSM2 needs an SM2 key`);
  }
  return sm2Verify(seal.sealInfoDer, seal.signedValue, maker.publicKey.point)
    ? check('SEAL_SIGNATURE', 'OK', `seal ${seal.sealInfo.esID} signed by maker "${maker.subject}"`)
    : check('SEAL_SIGNATURE', 'SEAL_SIGNATURE_INVALID');
}

function sealWindowCheck(seal: DecodedSeal, at: Date): SealCheck {
  const p = seal.sealInfo.property;
  const when = at.toISOString();
  if (at < p.validStart) return check('SEAL_VALIDITY', 'SEAL_NOT_YET_VALID_AT_SIGNING', `signed ${when}, seal valid from ${p.validStart.toISOString()}`);
  if (at < p.createDate) return check('SEAL_VALIDITY', 'SEAL_NOT_YET_VALID_AT_SIGNING', `signed ${when}, before the seal was made (${p.createDate.toISOString()})`);
  if (at > p.validEnd) return check('SEAL_VALIDITY', 'SEAL_EXPIRED_AT_SIGNING', `signed ${when}, seal valid until ${p.validEnd.toISOString()}`);
  return check('SEAL_VALIDITY', 'OK', `signed ${when}, inside ${p.validStart.toISOString()} – ${p.validEnd.toISOString()}`);
}

/**
 * A chain step judged at `at`. The path (built, certificate signatures verified) may come from the
 * cache; its validity periods are always judged here, for this signing time.
 */
function chainCheck(name: 'MAKER_CHAIN' | 'SIGNER_CHAIN', cert: CertificateInfo, trust: Trust, intermediates: readonly CertificateInfo[], at: Date): SealCheck {
  const options = { trustedRoots: trust.roots, intermediates };
  const built = trust.cache
    ? trust.cache.remember(chainKey(cert, trust.roots, intermediates), () => buildChain(cert, options))
    : buildChain(cert, options);
  const result = judgeChainAt(built, at);
  return check(name, result.code, result.message);
}

function verifyPkcs7(der: Uint8Array, expected: Uint8Array, trust: Trust): SealVerification {
  const p7 = decodePkcs7(der);
  const signer = parseCertificate(p7.signerCertificate, 'PKCS#7 signer certificate');
  const carried = p7.otherCertificates.map((c) => parseCertificate(c, 'PKCS#7 certificate'));
  const at = p7.signingTime;

  let signature: SealCheck;
  if (signer.publicKey.algorithm !== 'RSA') {
    signature = check('SIGNATURE', 'SIGNATURE_INVALID', `signer key is ${signer.publicKey.algorithm}; PKCS#7 seals are RSA`);
  } else {
    let valid = false;
    try {
      valid = nodeVerify(p7.signatureHash, p7.signedAttributes, { key: Buffer.from(signer.publicKey.spki), format: 'der', type: 'spki' }, p7.signature);
    } catch {
      valid = false;
    }
    signature = valid ? check('SIGNATURE', 'OK', `signed attributes signed by "${signer.subject}"`) : check('SIGNATURE', 'SIGNATURE_INVALID');
  }

  const expectedHash = new Uint8Array(createHash(p7.digestAlgorithm).update(expected).digest());
  let digest: SealCheck;
  if (p7.contentType !== p7.eContentType) {
    digest = check('DIGEST', 'DIGEST_MISMATCH', `contentType attribute ${p7.contentType} differs from eContentType ${p7.eContentType}`);
  } else if (p7.eContent && !sameBytes(p7.eContent, expected)) {
    digest = check('DIGEST', 'DIGEST_MISMATCH', 'the attached content is not the document digest');
  } else {
    digest = sameBytes(p7.messageDigest, expectedHash) ? check('DIGEST', 'OK', 'document digest matches') : check('DIGEST', 'DIGEST_MISMATCH');
  }

  const checks = [signature, chainCheck('SIGNER_CHAIN', signer, trust, [...trust.intermediates, ...carried], at), digest];
  return {
    ok: checks.every((c) => c.ok),
    format: 'PKCS7',
    checks,
    facts: {
      format: 'PKCS7',
      signingTime: at,
      documentDigest: toHex(p7.eContent ?? expected),
      signer: signerFacts(signer),
      timeStampPresent: false,
    },
  };
}

/**
 * Verifies a seal on its own — the maker's signature and chain, at `at` (default now) — e.g. when
 * an administrator approves (备案) it. Returns the facts to record. Throws `SEAL_MALFORMED`.
 */
export function verifySeal(sealDer: Uint8Array, options: TrustOptions & { readonly at?: Date }): { readonly ok: boolean; readonly checks: readonly SealCheck[]; readonly facts: SealFacts } {
  const seal = decodeSeal(sealDer);
  if (seal.signAlgID !== OID.sm3WithSm2) {
    throw sealError('SEAL_MALFORMED', `SESeal.signAlgID ${seal.signAlgID} is not SM3withSM2 (${OID.sm3WithSm2})`);
  }
  const maker = parseCertificate(seal.cert, 'SESeal.cert');
  const roots = parseTrusted(options.trustedRoots, 'trusted root');
  const intermediates = parseTrusted(options.intermediates ?? [], 'intermediate');
  const checks = [
    sealSignatureCheck(seal, maker),
    chainCheck('MAKER_CHAIN', maker, { roots, intermediates, cache: undefined }, intermediates, options.at ?? new Date()),
  ];
  return { ok: checks.every((c) => c.ok), checks, facts: sealFacts(seal) };
}

function signerFacts(cert: CertificateInfo): SignerFacts {
  return { fingerprint: cert.fingerprint, subject: cert.subject, issuer: cert.issuer, serialNumber: cert.serialNumber, certificate: new Uint8Array(cert.der) };
}

function parseTrusted(list: readonly Uint8Array[], what: string): CertificateInfo[] {
  return list.map((der, i) => {
    try {
      return parseCertificate(der, `${what} ${i + 1}`);
    } catch (error) {
      throw sealError('SEAL_INVALID_ARGUMENT', `${what} ${i + 1} is not a DER certificate`, error);
    }
  });
}

