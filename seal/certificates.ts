/**
 * Issuing the seal PKI: an organisation's root CA, its seal maker (制章者) and its signers (签章者).
 *
 * Certificates are built from @peculiar/asn1-x509 structures, one path for both algorithms:
 * - SM2: SM3withSM2 (`1.2.156.10197.1.501`, no parameters — as OpenSSL 3 writes them) over the DER
 *   TBSCertificate with the default user ID; key `id-ecPublicKey` + curve `1.2.156.10197.1.301`
 *   (GM/T 0015). OpenSSL 3.0 checks them with `-vfyopt distid:1234567812345678`.
 * - RSA (signers of PKCS#7 seals): sha256WithRSAEncryption, signed by Node's crypto.
 * The issuer Name is copied from the issuer certificate as parsed, so chains match byte for byte.
 * Validity windows are free, including wholly in the past, so tests can make expired material.
 */
import { createHash, randomBytes, sign as nodeSign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { sealError } from './codes';
import { generateSealKey, publicKeyInfo, type SealAlgorithm, type SealPrivateKey } from './keys';
import { OID } from './oids';
import { parseCertificate } from './x509';
import { sm2Sign } from './sm2';
import { toArrayBuffer, wholeSeconds } from './internal';

/** Subject of a certificate. Values are written as UTF8String (country as PrintableString). */
export interface DistinguishedName {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly locality?: string;
  readonly state?: string;
  readonly country?: string;
  /** e.g. the organisation's USCC (统一社会信用代码). */
  readonly serialNumber?: string;
}

/** A certificate (DER) with the private key it certifies. */
export interface CertifiedKey {
  readonly certificate: Uint8Array;
  readonly privateKey: SealPrivateKey;
}

/** What a certificate is for: `ca` signs certificates; `maker` signs seals; `signer` signs documents. */
export type CertificateRole = 'ca' | 'maker' | 'signer';

/** Subject, validity and (optionally) the key of a new certificate. */
export interface CertificateOptions {
  readonly subject: DistinguishedName;
  /** Default: five minutes ago (clock skew). */
  readonly notBefore?: Date;
  /** Default: notBefore + 10 years for a CA, + 2 years otherwise. */
  readonly notAfter?: Date;
  /** Key to certify; default a new key of the issuer's algorithm. */
  readonly key?: SealPrivateKey;
}

const DAY = 86_400_000;

/** Creates a self-signed root CA. */
export function createRootCa(algorithm: SealAlgorithm, options: CertificateOptions): CertifiedKey {
  const key = options.key ?? generateSealKey(algorithm);
  if (key.algorithm !== algorithm) throw sealError('SEAL_INVALID_ARGUMENT', `key is ${key.algorithm}, expected ${algorithm}`);
  return build(key, undefined, 'ca', options);
}

/**
 * Issues a certificate signed by `issuer` (a CA). The new key uses the issuer's algorithm: an SM2
 * organisation CA certifies SM2 makers and signers, an RSA CA certifies RSA signers.
 */
export function issueCertificate(issuer: CertifiedKey, role: CertificateRole, options: CertificateOptions): CertifiedKey {
  const algorithm = issuer.privateKey.algorithm;
  const key = options.key ?? generateSealKey(algorithm);
  if (key.algorithm !== algorithm) {
    throw sealError('SEAL_INVALID_ARGUMENT', `a ${algorithm} CA cannot certify a ${key.algorithm} key here`);
  }
  const issuerInfo = parseCertificate(issuer.certificate, 'issuer certificate');
  if (!issuerInfo.ca) throw sealError('SEAL_INVALID_ARGUMENT', 'issuer certificate is not a CA');
  return build(key, issuer, role, options);
}

function build(key: SealPrivateKey, issuer: CertifiedKey | undefined, role: CertificateRole, options: CertificateOptions): CertifiedKey {
  const notBefore = wholeSeconds(options.notBefore ?? new Date(Date.now() - 5 * 60_000), 'notBefore');
  const notAfter = wholeSeconds(options.notAfter ?? new Date(notBefore.getTime() + (role === 'ca' ? 3650 : 730) * DAY), 'notAfter');
  if (!(notAfter > notBefore)) throw sealError('SEAL_INVALID_ARGUMENT', 'notAfter must be after notBefore');
  if (!options.subject.commonName) throw sealError('SEAL_INVALID_ARGUMENT', 'subject commonName is required');
  return { certificate: buildCertificate(key, issuer, role, options.subject, notBefore, notAfter), privateKey: key };
}

function buildCertificate(
  key: SealPrivateKey,
  issuer: CertifiedKey | undefined,
  role: CertificateRole,
  subject: DistinguishedName,
  notBefore: Date,
  notAfter: Date,
): Uint8Array {
  const spki = AsnConvert.parse(publicKeyInfo(key), SubjectPublicKeyInfo);
  const subjectName = toName(subject);
  const subjectKeyId = keyIdentifier(new Uint8Array(spki.subjectPublicKey));
  let issuerName = subjectName;
  let authorityKeyId = subjectKeyId;
  let signingKey = key;
  if (issuer) {
    if (issuer.privateKey.algorithm !== key.algorithm) throw sealError('SEAL_INVALID_ARGUMENT', 'issuer and subject algorithms differ');
    const parsed = AsnConvert.parse(issuer.certificate, Certificate);
    issuerName = parsed.tbsCertificate.subject;
    authorityKeyId = keyIdentifier(new Uint8Array(parsed.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey));
    signingKey = issuer.privateKey;
  }
  // RFC 4055: sha256WithRSAEncryption carries NULL parameters; SM3withSM2 carries none.
  const signature =
    signingKey.algorithm === 'SM2'
      ? new AlgorithmIdentifier({ algorithm: OID.sm3WithSm2 })
      : new AlgorithmIdentifier({ algorithm: OID.sha256WithRsa, parameters: null });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature,
    issuer: issuerName,
    validity: new Validity({ notBefore, notAfter }),
    subject: subjectName,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions(role, subjectKeyId, authorityKeyId)),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const sig =
    signingKey.algorithm === 'SM2'
      ? sm2Sign(tbsDer, signingKey.privateKey, { publicKey: signingKey.publicKey })
      : new Uint8Array(nodeSign('sha256', tbsDer, signingKey.key));
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: signature, signatureValue: toArrayBuffer(sig) });
  return new Uint8Array(AsnConvert.serialize(cert));
}

function extensions(role: CertificateRole, subjectKeyId: Uint8Array, authorityKeyId: Uint8Array): Extension[] {
  const usage =
    role === 'ca'
      ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
      : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  const ext = (extnID: string, critical: boolean, value: object): Extension =>
    new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  return [
    ext(OID.basicConstraints, true, new BasicConstraints({ cA: role === 'ca' })),
    ext(OID.keyUsage, true, new KeyUsage(usage)),
    ext(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(toArrayBuffer(subjectKeyId))),
    ext(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(toArrayBuffer(authorityKeyId)) })),
  ];
}

const NAME_PARTS: ReadonlyArray<readonly [keyof DistinguishedName, string]> = [
  ['country', OID.country],
  ['state', OID.state],
  ['locality', OID.locality],
  ['organization', OID.organization],
  ['organizationalUnit', OID.organizationalUnit],
  ['serialNumber', OID.serialNumber],
  ['commonName', OID.commonName],
];

function toName(dn: DistinguishedName): Name {
  const rdns: RelativeDistinguishedName[] = [];
  for (const [field, type] of NAME_PARTS) {
    const value = dn[field];
    if (!value) continue;
    const printable = type === OID.country || type === OID.serialNumber;
    const attr = new AttributeTypeAndValue({
      type,
      value: new AttributeValue(printable ? { printableString: value } : { utf8String: value }),
    });
    rdns.push(new RelativeDistinguishedName([attr]));
  }
  return new Name(rdns);
}

/** 128-bit positive serial (RFC 5280 §4.1.2.2 allows up to 20 octets). */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return toArrayBuffer(new Uint8Array(bytes));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the public key bits (an identifier, not a security use). */
function keyIdentifier(publicKeyBits: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(publicKeyBits).digest());
}
