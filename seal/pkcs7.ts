/**
 * PKCS#7 / CMS seal signatures for RSA X.509 signers: detached `SignedData`, SHA-256 with
 * RSASSA-PKCS1-v1_5, authenticated attributes contentType, messageDigest and signingTime.
 *
 * The signed content is the 32-byte SM3 document digest — the same bytes a GB/T 38540 signature
 * carries in `dataHash` — so both seal formats are verified from `{ content | digest }` alike.
 * With OpenSSL: `openssl cms -verify -binary -inform DER -in sig.der -content digest.bin -CAfile ca.pem`.
 *
 * Made with node-forge (which cannot verify PKCS#7); read with @peculiar/asn1-cms and asn1js.
 */
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { sealError } from './codes';
import { wholeSeconds } from './internal';
import { OID } from './oids';
import { resolveDigest, type DocumentInput } from './ses-signature';
import { callSigner, type SealSigner } from './signer';
import { verify as nodeVerify } from 'node:crypto';
import { parseCertificate } from './x509';

/** Options of {@link signPkcs7}. */
export type SignPkcs7Options = DocumentInput & {
  /** An RSA signer. */
  readonly signer: SealSigner;
  /** signingTime attribute; default now (whole seconds). */
  readonly signingTime?: Date;
  /** Further certificates (DER) to include, e.g. intermediates. */
  readonly certificates?: readonly Uint8Array[];
};

/**
 * Produces a detached PKCS#7 SignedData (DER ContentInfo) over the document's SM3 digest.
 * Throws `SEAL_INVALID_ARGUMENT` for a non-RSA signer, `SEAL_SIGNER_FAILED` when the signer's
 * output does not verify with its certificate.
 */
export async function signPkcs7(options: SignPkcs7Options): Promise<Uint8Array> {
  const digest = resolveDigest(options);
  const signerCert = parseCertificate(options.signer.certificate, 'signer certificate');
  if (options.signer.algorithm !== 'RSA' || signerCert.publicKey.algorithm !== 'RSA') {
    throw sealError('SEAL_INVALID_ARGUMENT', 'PKCS#7 seal signatures need an RSA signer');
  }
  const signingTime = wholeSeconds(options.signingTime ?? new Date(), 'signingTime');
  const cert = forgeCertificate(signerCert.der);
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(binary(digest));
  p7.addCertificate(cert);
  for (const extra of options.certificates ?? []) p7.addCertificate(forgeCertificate(parseCertificate(extra, 'extra certificate').der));
  // forge signs synchronously with key.sign(md); the real signer is async (device, server), so a
  // placeholder key lets forge lay out SignerInfo, and the signature is set once the signer answers.
  const placeholderKey = { sign: (): string => '' } as unknown as forge.pki.rsa.PrivateKey;
  p7.addSigner({
    key: placeholderKey,
    certificate: cert,
    digestAlgorithm: forge.pki.oids.sha256 as string,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType as string, value: forge.pki.oids.data as string },
      { type: forge.pki.oids.messageDigest as string },
      { type: forge.pki.oids.signingTime as string, value: signingTime as unknown as string },
    ],
  });
  p7.sign({ detached: true });
  const internals = p7 as unknown as ForgeSignedDataInternals;
  const signerState = internals.signers[0];
  const signerInfo = internals.signerInfos[0];
  if (!signerState?.authenticatedAttributesAsn1 || !signerInfo) throw sealError('SEAL_SIGNER_FAILED', 'PKCS#7 layout failed');
  // RFC 5652 §5.4: the signature covers the attributes DER-encoded with the SET OF tag, not [0].
  const attrs = Buffer.from(forge.asn1.toDer(signerState.authenticatedAttributesAsn1).getBytes(), 'binary');
  attrs[0] = 0x31;
  const signature = await callSigner(options.signer, new Uint8Array(attrs));
  if (!options.signer.checksOwnSignatures && !nodeVerify('sha256', attrs, { key: Buffer.from(signerCert.spki), format: 'der', type: 'spki' }, signature)) {
    throw sealError('SEAL_SIGNER_FAILED', "the signer's signature does not verify with its certificate");
  }
  const sid = signerInfo.value[1];
  const encryptedDigest = signerInfo.value[5];
  if (!sid || !Array.isArray(sid.value) || !encryptedDigest) throw sealError('SEAL_SIGNER_FAILED', 'PKCS#7 layout failed');
  // forge re-encodes the issuer Name it parsed and UTF-8-encodes UTF8String values twice, so any
  // non-ASCII issuer (中文 organisation names) would no longer match the certificate: use its bytes.
  sid.value[0] = forge.asn1.fromDer(forge.util.createBuffer(binary(signerCert.issuerName)));
  encryptedDigest.value = binary(signature);
  return new Uint8Array(Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary'));
}

interface ForgeSignedDataInternals {
  signers: { authenticatedAttributesAsn1?: forge.asn1.Asn1 }[];
  signerInfos: { value: forge.asn1.Asn1[] }[];
}

/** A decoded PKCS#7 seal signature: everything verification needs, nothing checked yet. */
export interface DecodedPkcs7 {
  readonly eContentType: string;
  /** Present when the content is attached (not what this module writes, but legal). */
  readonly eContent?: Uint8Array;
  /** Node hash name of the digest algorithm (messageDigest). */
  readonly digestAlgorithm: string;
  /** Node hash name used by the RSA signature. */
  readonly signatureHash: string;
  /** signedAttrs re-tagged as SET OF: the bytes the signature covers. */
  readonly signedAttributes: Uint8Array;
  readonly signature: Uint8Array;
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  readonly signingTime: Date;
  readonly signerCertificate: Uint8Array;
  /** Other certificates carried in the SignedData (chain candidates). */
  readonly otherCertificates: readonly Uint8Array[];
}

const HASHES: Record<string, string> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };
const RSA_HASHES: Record<string, string> = { [OID.sha256WithRsa]: 'sha256', [OID.sha384WithRsa]: 'sha384', [OID.sha512WithRsa]: 'sha512' };

/** Decodes a PKCS#7 / CMS SignedData with exactly one RSA signer. Throws `SEAL_MALFORMED`. */
export function decodePkcs7(der: Uint8Array): DecodedPkcs7 {
  const fail = (message: string, cause?: unknown): never => {
    throw sealError('SEAL_MALFORMED', `PKCS#7: ${message}`, cause);
  };
  let info: ContentInfo;
  let sd: SignedData;
  let certs: Uint8Array[];
  let signedAttrsRaw: Uint8Array | undefined;
  try {
    const outer = asn1js.fromBER(der);
    if (outer.offset === -1) fail(`not DER (${outer.result.error})`);
    if (outer.offset !== der.length) fail('trailing bytes after the structure');
    info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== OID.pkcs7SignedData) fail(`content type ${info.contentType} is not signedData`);
    sd = AsnConvert.parse(info.content, SignedData);
    ({ certs, signedAttrs: signedAttrsRaw } = rawParts(new Uint8Array(info.content)));
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === 'SEAL_MALFORMED') throw error;
    return fail(`not a SignedData (${(error as Error).message})`, error);
  }
  if (sd.signerInfos.length !== 1) fail(`${sd.signerInfos.length} signers; a seal signature has exactly one`);
  const si = sd.signerInfos[0] as (typeof sd.signerInfos)[number];
  const digestAlgorithm = HASHES[si.digestAlgorithm.algorithm] ?? fail(`unsupported digest algorithm ${si.digestAlgorithm.algorithm}`);
  const sigAlg = si.signatureAlgorithm.algorithm;
  const signatureHash = sigAlg === OID.rsaEncryption ? digestAlgorithm : RSA_HASHES[sigAlg] ?? fail(`unsupported signature algorithm ${sigAlg}`);
  if (!si.signedAttrs || !signedAttrsRaw) fail('signed attributes are required (signing time, message digest)');
  const signedAttributes = new Uint8Array(signedAttrsRaw as Uint8Array);
  signedAttributes[0] = 0x31;
  const attr = (oid: string): ArrayBuffer => {
    const found = (si.signedAttrs ?? []).filter((a) => a.attrType === oid);
    if (found.length !== 1 || found[0]?.attrValues.length !== 1) fail(`exactly one ${oid} attribute value required`);
    return found[0]?.attrValues[0] as ArrayBuffer;
  };
  const contentType = readAttribute(attr(OID.contentType), 'contentType', (b) => b instanceof asn1js.ObjectIdentifier && b.getValue());
  const messageDigest = readAttribute(attr(OID.messageDigest), 'messageDigest', (b) => b instanceof asn1js.OctetString && !b.idBlock.isConstructed && new Uint8Array(b.valueBlock.valueHexView));
  const signingTime = readAttribute(attr(OID.signingTime), 'signingTime', (b) => (b instanceof asn1js.UTCTime || b instanceof asn1js.GeneralizedTime) && b.toDate());
  if (Number.isNaN(signingTime.getTime())) fail('invalid signingTime');
  const sid = si.sid.issuerAndSerialNumber ?? fail('only issuerAndSerialNumber signer identifiers are supported');
  const issuer = Buffer.from(AsnConvert.serialize(sid.issuer));
  const serial = Buffer.from(sid.serialNumber);
  let signerCertificate: Uint8Array | undefined;
  for (const c of certs) {
    const parsed = parseCertificate(c, 'PKCS#7 certificate');
    if (Buffer.from(parsed.issuerName).equals(issuer) && Buffer.from(parsed.serialNumber, 'hex').equals(serial)) signerCertificate = c;
  }
  if (!signerCertificate) fail('the signer certificate is not included');
  const eContent = sd.encapContentInfo.eContent?.single?.buffer;
  return {
    eContentType: sd.encapContentInfo.eContentType,
    ...(eContent ? { eContent: new Uint8Array(eContent) } : {}),
    digestAlgorithm,
    signatureHash,
    signedAttributes,
    signature: new Uint8Array(si.signature.buffer),
    contentType,
    messageDigest,
    signingTime,
    signerCertificate: signerCertificate as Uint8Array,
    otherCertificates: certs.filter((c) => c !== signerCertificate),
  };
}

function readAttribute<T>(value: ArrayBuffer, name: string, pick: (b: asn1js.AsnType) => T | false): T {
  try {
    const parsed = asn1js.fromBER(value);
    const result = parsed.offset === value.byteLength ? pick(parsed.result) : false;
    if (result !== false && result !== '') return result;
  } catch {
    // fall through
  }
  throw sealError('SEAL_MALFORMED', `PKCS#7: invalid ${name} attribute`);
}

/**
 * Byte-exact parts the schema parser does not keep: the certificates of `[0] IMPLICIT
 * CertificateSet` and the first SignerInfo's `[0] IMPLICIT` signedAttrs.
 */
function rawParts(signedData: Uint8Array): { certs: Uint8Array[]; signedAttrs: Uint8Array | undefined } {
  const members = (b: asn1js.AsnType | undefined): asn1js.AsnType[] => (b?.valueBlock as { value?: asn1js.AsnType[] } | undefined)?.value ?? [];
  const isContext0 = (b: asn1js.AsnType): boolean => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0;
  const fields = members(asn1js.fromBER(signedData).result);
  // Only plain certificates (SEQUENCE); attribute and other certificates are tagged and skipped.
  const certs = members(fields.find(isContext0))
    .filter((m) => m.idBlock.tagClass === 1 && m.idBlock.tagNumber === 16)
    .map((m) => new Uint8Array(m.valueBeforeDecodeView));
  const signerInfo = members(fields[fields.length - 1])[0];
  const attrs = members(signerInfo).find(isContext0);
  return { certs, signedAttrs: attrs ? new Uint8Array(attrs.valueBeforeDecodeView) : undefined };
}

function forgeCertificate(der: Uint8Array): forge.pki.Certificate {
  return forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(binary(der))));
}

const binary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('binary');
