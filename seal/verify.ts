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
import * as asn1js from 'asn1js';
import { createHash, verify as nodeVerify } from 'node:crypto';
import { decodeSeal, decodeSignature, type DecodedSeal } from './asn1';
import { validateChain } from './chain';
import { check, sealError, type SealCheck } from './codes';
import { sameBytes, toHex } from './internal';
import { OID } from './oids';
import { decodePkcs7 } from './pkcs7';
import { sealFacts, signerListedInSeal, type SealFacts } from './seal-facts';
import { resolveDigest } from './ses-signature';
import { sm2Verify } from './sm2';
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
  return detectFormat(options.signature) === 'PKCS7'
    ? verifyPkcs7(options.signature, expected, roots, intermediates)
    : verifySes(options.signature, expected, roots, intermediates, options.makerCheckTime ?? 'signing');
}

/** The format of a DER seal signature; throws `SEAL_MALFORMED` when it is neither. */
export function detectFormat(signature: Uint8Array): SealFormat {
  try {
    const parsed = asn1js.fromBER(signature);
    const first = (parsed.result.valueBlock as { value?: asn1js.AsnType[] }).value?.[0];
    if (parsed.offset !== -1 && first) {
      if (first instanceof asn1js.ObjectIdentifier && first.getValue() === OID.pkcs7SignedData) return 'PKCS7';
      if (first.idBlock.tagClass === 1 && first.idBlock.tagNumber === 16) return 'GBT38540';
    }
  } catch {
    // fall through
  }
  throw sealError('SEAL_MALFORMED', 'neither a GB/T 38540 SES_Signature nor a PKCS#7 SignedData');
}

function verifySes(der: Uint8Array, expected: Uint8Array, roots: CertificateInfo[], intermediates: CertificateInfo[], makerTime: 'signing' | 'sealCreation'): SealVerification {
  const sig = decodeSignature(der);
  const seal = sig.seal;
  if (sig.signatureAlgID !== OID.sm3WithSm2) {
    throw sealError('SEAL_MALFORMED', `SES_Signature.signatureAlgID ${sig.signatureAlgID} is not SM3withSM2 (${OID.sm3WithSm2})`);
  }
  if (seal.signAlgID !== OID.sm3WithSm2) {
    throw sealError('SEAL_MALFORMED', `SESeal.signAlgID ${seal.signAlgID} is not SM3withSM2 (${OID.sm3WithSm2})`);
  }
  const signer = parseCertificate(sig.cert, 'SES_Signature.cert');
  const maker = parseCertificate(seal.cert, 'SESeal.cert');
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
    sealSignatureCheck(seal, maker),
    chainCheck('MAKER_CHAIN', maker, roots, intermediates, makerTime === 'sealCreation' ? p.createDate : at),
    chainCheck('SIGNER_CHAIN', signer, roots, intermediates, at),
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
      seal: sealFacts(seal),
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

function chainCheck(name: 'MAKER_CHAIN' | 'SIGNER_CHAIN', cert: CertificateInfo, roots: CertificateInfo[], intermediates: CertificateInfo[], at: Date): SealCheck {
  const result = validateChain(cert, { trustedRoots: roots, intermediates, at });
  return check(name, result.code, result.message);
}

function verifyPkcs7(der: Uint8Array, expected: Uint8Array, roots: CertificateInfo[], intermediates: CertificateInfo[]): SealVerification {
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

  const checks = [signature, chainCheck('SIGNER_CHAIN', signer, roots, [...intermediates, ...carried], at), digest];
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
    chainCheck('MAKER_CHAIN', maker, roots, intermediates, options.at ?? new Date()),
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

