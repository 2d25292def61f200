/**
 * What the ledger and the services need to know about a member's certificate, and whether it
 * chains to one of an MSP's CAs at a given time. Parsing is synchronous (cache the result per
 * certificate: parsing dominates the cost of a signature check); chain verification is
 * asynchronous because it verifies the CA's ECDSA signature through WebCrypto.
 */
import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import type { NodeOU } from './credentials';
import { isNodeOU } from './credentials';
import { CertsErrorCode, certsError } from './errors';
import { decodeFabricAttributes, FABRIC_ATTRS_OID } from './fabric-attributes';
import { fromPem, toPem, x509 } from './x509-provider';

/** A parsed certificate. */
export interface CertificateInfo {
  /** The certificate, PEM (normalised: one block, 64-character lines). */
  readonly pem: string;
  /** Subject as a string, RFC 4514 style (`C=CN, ST=Shanghai, …, CN=alice`). */
  readonly subject: string;
  /** Issuer as a string, same form as `subject`. */
  readonly issuer: string;
  /** Subject CN ('' when absent). */
  readonly commonName: string;
  /** Subject O ('' when absent). */
  readonly organisation: string;
  /** Subject OUs in certificate order. */
  readonly organisationalUnits: readonly string[];
  /** The first subject OU that is a Fabric NodeOU classification, if any. */
  readonly nodeOU: NodeOU | undefined;
  /**
   * The identity as Node chaincode sees it: fabric-shim's `ClientIdentity.getID()`,
   * `x509::/C=…/CN=alice::/C=…/CN=ca.org1`.
   */
  readonly clientId: string;
  /** Serial number, hexadecimal. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** True when basicConstraints says CA:true. */
  readonly isCA: boolean;
  /** Fabric CA attributes (extension 1.2.3.4.5.6.7.8.1); `{}` when the certificate has none. */
  readonly attrs: Readonly<Record<string, string>>;
  /** The subject public key, ready for `crypto.verify`. */
  readonly publicKey: KeyObject;
  /** SHA-256 of the DER certificate, lower-case hex. */
  readonly fingerprint: string;
}

/** Why a chain check failed; codes never change, reasons are free text. */
export type ChainFailureCode =
  | 'MALFORMED'
  | 'UNKNOWN_ISSUER'
  | 'BAD_SIGNATURE'
  | 'NOT_A_CA'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'CA_NOT_VALID';

/** Outcome of {@link verifyChain}: `ok`, or the first failed check with a stable code. */
export type ChainResult =
  | { readonly ok: true; readonly reason?: undefined; readonly code?: undefined; readonly issuer: string }
  | { readonly ok: false; readonly reason: string; readonly code: ChainFailureCode };

// The attribute short names fabric-shim's certificate parser (@fidm/x509) knows; it prints any
// other attribute as "/=value". @peculiar/x509's toJSON uses the same letters for these.
const FABRIC_SHORT_NAMES: ReadonlySet<string> = new Set(['CN', 'C', 'L', 'ST', 'O', 'OU', 'E']);

/** Parses a certificate PEM into @peculiar/x509's form; CERTS_MALFORMED when it cannot. */
export function parseX509(pem: string): x509.X509Certificate {
  const der = fromPem(pem, 'CERTIFICATE');
  if (!der) throw certsError(CertsErrorCode.MALFORMED, 'no PEM CERTIFICATE block found');
  try {
    return new x509.X509Certificate(der);
  } catch (err) {
    throw certsError(CertsErrorCode.MALFORMED, 'certificate cannot be parsed', err);
  }
}

/** A DN as fabric-shim formats it for getID(): `/SN=value` per attribute, certificate order. */
function fabricDn(name: x509.Name): string {
  return name
    .toJSON()
    .flatMap((rdn) => Object.entries(rdn).flatMap(([type, values]) => values.map((value) => [type, value] as const)))
    // fabric-shim escapes only the first "/" of each value (String.replace with a string).
    .map(([type, value]) => `/${FABRIC_SHORT_NAMES.has(type) ? type : ''}=${value.replace('/', '\\/')}`)
    .join('');
}

/**
 * Parses a PEM certificate.
 * @throws CodedError `CERTS_MALFORMED` when the PEM, the certificate or its attribute extension
 *   cannot be read (fabric-shim would refuse such a creator too).
 */
export function parseCertificate(pem: string): CertificateInfo {
  const cert = parseX509(pem);
  const der = Buffer.from(cert.rawData);
  const ext = cert.getExtension(FABRIC_ATTRS_OID);
  let attrs: Record<string, string> = {};
  if (ext) {
    try {
      attrs = decodeFabricAttributes(new Uint8Array(ext.value));
    } catch (err) {
      throw certsError(CertsErrorCode.MALFORMED, `attribute extension ${FABRIC_ATTRS_OID} is not Fabric CA's JSON`, err);
    }
  }
  const ous = cert.subjectName.getField('OU');
  return {
    pem: toPem(der, 'CERTIFICATE'),
    subject: cert.subject,
    issuer: cert.issuer,
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    organisation: cert.subjectName.getField('O')[0] ?? '',
    organisationalUnits: ous,
    nodeOU: ous.find(isNodeOU),
    clientId: `x509::${fabricDn(cert.subjectName)}::${fabricDn(cert.issuerName)}`,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCA: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    attrs,
    publicKey: createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' }),
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}

function within(cert: x509.X509Certificate, at: Date): 'NOT_YET_VALID' | 'EXPIRED' | undefined {
  if (at.getTime() < cert.notBefore.getTime()) return 'NOT_YET_VALID';
  if (at.getTime() > cert.notAfter.getTime()) return 'EXPIRED';
  return undefined;
}

/**
 * Checks that `certPem` was issued by one of `caPems` and that both were valid at `at`:
 * issuer name match, the CA's signature (ECDSA verified by @peculiar/x509 with the CA's public
 * key), the CA being a CA (basicConstraints CA:true, keyCertSign when keyUsage is present), the
 * certificate's validity at `at`, then the CA's. The CAs are trust anchors: each is trusted as
 * given (an MSP's cacerts), so chains are one level deep.
 *
 * @example
 * ```ts
 * const r = await verifyChain(creatorPem, [org1CaPem], blockTime);
 * if (!r.ok) refuse(r.code, r.reason);
 * ```
 */
export async function verifyChain(certPem: string, caPems: readonly string[], at: Date): Promise<ChainResult> {
  let cert: x509.X509Certificate;
  try {
    cert = parseX509(certPem);
  } catch (err) {
    return { ok: false, code: 'MALFORMED', reason: `certificate: ${(err as Error).message}` };
  }
  let issuerNamed = false;
  for (const caPem of caPems) {
    let ca: x509.X509Certificate;
    try {
      ca = parseX509(caPem);
    } catch {
      continue; // A broken anchor cannot vouch for anything; the others still may.
    }
    if (ca.subject !== cert.issuer) continue;
    issuerNamed = true;
    let signed = false;
    try {
      signed = await cert.verify({ publicKey: ca.publicKey, signatureOnly: true });
    } catch {
      signed = false; // e.g. a key of another algorithm than the signature's
    }
    if (!signed) continue;
    const basic = ca.getExtension(x509.BasicConstraintsExtension);
    const usage = ca.getExtension(x509.KeyUsagesExtension);
    if (!basic?.ca || (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0)) {
      return { ok: false, code: 'NOT_A_CA', reason: `issuer ${ca.subject} is not a CA certificate` };
    }
    const own = within(cert, at);
    if (own) {
      const when = own === 'EXPIRED' ? `expired at ${cert.notAfter.toISOString()}` : `not valid before ${cert.notBefore.toISOString()}`;
      return { ok: false, code: own, reason: `certificate ${when} (checked at ${at.toISOString()})` };
    }
    if (within(ca, at)) {
      return { ok: false, code: 'CA_NOT_VALID', reason: `issuing CA ${ca.subject} is not valid at ${at.toISOString()} (valid ${ca.notBefore.toISOString()} – ${ca.notAfter.toISOString()})` };
    }
    return { ok: true, issuer: ca.subject };
  }
  return issuerNamed
    ? { ok: false, code: 'BAD_SIGNATURE', reason: `signature does not verify with any CA named ${cert.issuer}` }
    : { ok: false, code: 'UNKNOWN_ISSUER', reason: `no trusted CA is named ${cert.issuer}` };
}
