/**
 * Reading X.509 certificates (SM2, RSA, ECDSA) into the facts seal verification needs.
 *
 * The fingerprint used across the seal module is **SM3 over the certificate DER, lower-case hex**:
 * the same for SM2 and RSA signers, and SM3 is the consortium's digest everywhere else.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, KeyUsage, type Name } from '@peculiar/asn1-x509';
import { ECParameters } from '@peculiar/asn1-ecc';
import { sealError } from './codes';
import { OID } from './oids';

/** The public key of a certificate, in the form its verifier needs. */
export type CertificatePublicKey =
  | { readonly algorithm: 'SM2'; readonly point: Uint8Array }
  | { readonly algorithm: 'RSA' | 'ECDSA'; readonly spki: Uint8Array }
  | { readonly algorithm: 'UNSUPPORTED'; readonly oid: string };

/** A parsed certificate. Shared from a cache: treat it, and its byte arrays, as read-only. */
export interface CertificateInfo {
  readonly der: Uint8Array;
  /** SM3 of {@link der}, lower-case hex. */
  readonly fingerprint: string;
  readonly subject: string;
  readonly issuer: string;
  /** DER of the subject / issuer Name, for chain building. */
  readonly subjectName: Uint8Array;
  readonly issuerName: Uint8Array;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: CertificatePublicKey;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** The TBSCertificate bytes exactly as received (what the issuer signed). */
  readonly tbs: Uint8Array;
  /** basicConstraints cA. */
  readonly ca: boolean;
  /** keyUsage bits (asn1-x509 `KeyUsageFlags`), undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** OIDs of critical extensions this module does not understand (RFC 5280: must reject). */
  readonly unknownCriticalExtensions: readonly string[];
}

/** SM3 fingerprint (lower-case hex) of a certificate DER. */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sm3').update(der).digest('hex');
}

const KNOWN_EXTENSIONS = new Set<string>([OID.basicConstraints, OID.keyUsage, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier]);

/**
 * Parses a DER certificate. Throws `SEAL_MALFORMED` naming `what` (e.g. "SES_Signature.cert")
 * for anything that is not exactly one X.509 certificate.
 */
export function parseCertificate(der: Uint8Array, what = 'certificate'): CertificateInfo {
  // Verifiers meet the same CA, maker and signer certificates over and over, and the schema
  // parse costs about a millisecond: keep the last few hundred, keyed by their SM3 fingerprint.
  const fingerprint = der instanceof Uint8Array && der.length > 0 ? certificateFingerprint(der) : '';
  const cached = parsed.get(fingerprint);
  if (cached) return cached;
  const info = parseUncached(der, what, fingerprint);
  if (parsed.size >= CACHE_LIMIT) parsed.delete(parsed.keys().next().value as string);
  parsed.set(fingerprint, info);
  return info;
}

const CACHE_LIMIT = 256;
const parsed = new Map<string, CertificateInfo>();

function parseUncached(der: Uint8Array, what: string, fingerprint: string): CertificateInfo {
  try {
    const outer = asn1js.fromBER(der);
    if (outer.offset === -1) throw new Error(outer.result.error || 'not DER');
    if (outer.offset !== der.length) throw new Error('trailing bytes after the certificate');
    const cert = AsnConvert.parse(der, Certificate);
    const tbs = cert.tbsCertificate;
    if (!cert.tbsCertificateRaw) throw new Error('no TBSCertificate');
    if (cert.signatureAlgorithm.algorithm !== tbs.signature.algorithm) throw new Error('inner and outer signature algorithms differ');
    let ca = false;
    let keyUsage: number | undefined;
    const unknownCriticalExtensions: string[] = [];
    for (const ext of tbs.extensions ?? []) {
      if (ext.extnID === OID.basicConstraints) ca = AsnConvert.parse(ext.extnValue, BasicConstraints).cA;
      else if (ext.extnID === OID.keyUsage) keyUsage = AsnConvert.parse(ext.extnValue, KeyUsage).toNumber();
      else if (ext.critical && !KNOWN_EXTENSIONS.has(ext.extnID)) unknownCriticalExtensions.push(ext.extnID);
    }
    return Object.freeze({
      der: new Uint8Array(der),
      fingerprint,
      subject: nameToString(tbs.subject),
      issuer: nameToString(tbs.issuer),
      subjectName: new Uint8Array(AsnConvert.serialize(tbs.subject)),
      issuerName: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
      serialNumber: Buffer.from(tbs.serialNumber).toString('hex'),
      notBefore: tbs.validity.notBefore.getTime(),
      notAfter: tbs.validity.notAfter.getTime(),
      publicKey: publicKeyOf(cert),
      spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
      signatureAlgorithm: cert.signatureAlgorithm.algorithm,
      signature: new Uint8Array(cert.signatureValue),
      tbs: new Uint8Array(cert.tbsCertificateRaw),
      ca,
      keyUsage,
      unknownCriticalExtensions: Object.freeze(unknownCriticalExtensions),
    });
  } catch (error) {
    throw sealError('SEAL_MALFORMED', `${what}: not a valid X.509 certificate (${(error as Error).message})`, error);
  }
}

function publicKeyOf(cert: Certificate): CertificatePublicKey {
  const info = cert.tbsCertificate.subjectPublicKeyInfo;
  const oid = info.algorithm.algorithm;
  if (oid === OID.rsaEncryption) return { algorithm: 'RSA', spki: new Uint8Array(AsnConvert.serialize(info)) };
  if (oid === OID.sm2Curve) return { algorithm: 'SM2', point: new Uint8Array(info.subjectPublicKey) };
  if (oid === OID.ecPublicKey) {
    const params = info.algorithm.parameters;
    const curve = params ? AsnConvert.parse(params, ECParameters).namedCurve : undefined;
    if (curve === OID.sm2Curve) return { algorithm: 'SM2', point: new Uint8Array(info.subjectPublicKey) };
    return { algorithm: 'ECDSA', spki: new Uint8Array(AsnConvert.serialize(info)) };
  }
  return { algorithm: 'UNSUPPORTED', oid };
}

const SHORT_NAMES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.country]: 'C',
  [OID.locality]: 'L',
  [OID.state]: 'ST',
  [OID.organization]: 'O',
  [OID.organizationalUnit]: 'OU',
  [OID.serialNumber]: 'serialNumber',
};

/** "C=CN, O=…, CN=…" in certificate order (as OpenSSL prints it). */
function nameToString(name: Name): string {
  return name
    .flatMap((rdn) => rdn.map((atv) => `${SHORT_NAMES[atv.type] ?? atv.type}=${atv.value.toString()}`))
    .join(', ');
}
