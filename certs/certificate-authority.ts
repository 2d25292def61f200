/**
 * An organisation's certificate authority: a self-signed ECDSA P-256 root that issues its
 * members' enrolment certificates (with Fabric NodeOUs and Fabric CA attributes) and TLS
 * certificates. A TLS CA is simply a second CertificateAuthority, as Fabric's cryptogen keeps a
 * separate `tlsca` per organisation.
 *
 * Subjects follow cryptogen (C=CN, ST=Shanghai, L=Shanghai, O=<organisation>, …); validity
 * starts five minutes in the past, rounded to the minute, as cryptogen does, to absorb clock skew.
 */
import { isIP } from 'node:net';
import type { Credentials, NodeOU } from './credentials';
import { isNodeOU } from './credentials';
import { CertsErrorCode, certsError } from './errors';
import { assertKeyPair, parseP256PrivateKey } from './keys';
import { parseX509 } from './certificate-info';
import { defaultFabricAttributes, encodeFabricAttributes, FABRIC_ATTRS_OID, RESERVED_FABRIC_ATTRS } from './fabric-attributes';
import { EC_P256, ECDSA_SHA256, toPem, webcrypto, x509 } from './x509-provider';

type CryptoKey = webcrypto.CryptoKey;

/** Options of {@link CertificateAuthority.create}. */
export interface CreateCertificateAuthorityOptions {
  /** The MSP this CA roots, e.g. `Org1MSP`. Also names its folders: letters, digits, `.`, `_`, `-`. */
  readonly mspId: string;
  /** The organisation's name, written as the subject's O. */
  readonly organisation: string;
  /** Subject CN; default `ca.<label>` where the label is derived from the MSP ID (`Org1MSP` → `org1`). */
  readonly commonName?: string;
  /** Start of validity; default five minutes ago (rounded to the minute). */
  readonly notBefore?: Date;
  /** End of validity; default ten years after `notBefore` (as cryptogen). */
  readonly notAfter?: Date;
}

/** Options of {@link CertificateAuthority.issueIdentity}. */
export interface IssueIdentityOptions {
  /** Subject CN; also the Fabric CA enrolment ID (`hf.EnrollmentID`). */
  readonly commonName: string;
  /** Subject OU, which NodeOUs-enabled MSPs classify by; default `client`. */
  readonly nodeOU?: NodeOU;
  /**
   * Attributes for the Fabric CA extension (e.g. `{ 'lc.role': 'issuer' }`). When given (even
   * `{}`), the certificate carries the extension with Fabric CA's `hf.EnrollmentID`, `hf.Type`
   * (= nodeOU) and `hf.Affiliation` (empty) plus these; when omitted, no extension.
   */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Start of validity; default five minutes ago (rounded to the minute). */
  readonly notBefore?: Date;
  /** End of validity; default (and at most) the CA's own end of validity. */
  readonly notAfter?: Date;
}

/** Options of {@link CertificateAuthority.issueTls}. */
export interface IssueTlsOptions {
  /** Subject CN. Clients match host names against the SANs only, not the CN. */
  readonly commonName: string;
  /** DNS names or IP addresses, written as subjectAltName entries. Required for server usage. */
  readonly hosts: readonly string[];
  /** Extended key usage: TLS server, TLS client, or both. */
  readonly usage: 'server' | 'client' | 'both';
  /** Start of validity; default five minutes ago (rounded to the minute). */
  readonly notBefore?: Date;
  /** End of validity; default (and at most) the CA's own end of validity. */
  readonly notAfter?: Date;
}

const TEN_YEARS_MS = 3650 * 24 * 3600 * 1000;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// ub-common-name and ub-organization-name are 64 (RFC 5280); control characters have no place in a DN.
const DN_VALUE = /^[^\u0000-\u001f\u007f]{1,64}$/;
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/**
 * The label derived from an MSP ID for default CA names: `Org1MSP` → `org1`,
 * `Data.Authority-MSP` → `data-authority`.
 */
export function mspLabel(mspId: string): string {
  const label = mspId
    .replace(/[-_.]?msp$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return label === '' ? 'org' : label;
}

/** Cryptogen's default start of validity: now, rounded to the minute, minus five minutes. */
function defaultNotBefore(): Date {
  const minute = 60_000;
  return new Date(Math.round(Date.now() / minute) * minute - 5 * minute);
}

function checkDnValue(field: string, value: unknown): string {
  if (typeof value !== 'string' || !DN_VALUE.test(value)) {
    throw certsError(CertsErrorCode.INVALID_ARGUMENT, `${field} must be 1–64 characters without control characters`);
  }
  return value;
}

/** One RDN value, typed explicitly: @peculiar/x509 would otherwise unescape `\` and strip quotes. */
function rdnValue(value: string): { printableString: string } | { utf8String: string } {
  return x509.Name.isPrintableString(value) ? { printableString: value } : { utf8String: value };
}

function subjectName(organisation: string, commonName: string, ou?: string): x509.Name {
  const rdns: Array<Record<string, Array<{ printableString: string } | { utf8String: string }>>> = [
    { C: [{ printableString: 'CN' }] },
    { ST: [rdnValue('Shanghai')] },
    { L: [rdnValue('Shanghai')] },
    { O: [rdnValue(organisation)] },
  ];
  if (ou !== undefined) rdns.push({ OU: [rdnValue(ou)] });
  rdns.push({ CN: [rdnValue(commonName)] });
  return new x509.Name(rdns);
}

function validity(notBefore: Date | undefined, notAfter: Date | undefined, defaultAfter: (from: Date) => Date): { notBefore: Date; notAfter: Date } {
  const from = notBefore ?? defaultNotBefore();
  const to = notAfter ?? defaultAfter(from);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to.getTime() <= from.getTime()) {
    throw certsError(CertsErrorCode.INVALID_ARGUMENT, 'notAfter must be a valid date after notBefore');
  }
  return { notBefore: from, notAfter: to };
}

async function generateKeyPair(): Promise<{ publicKey: CryptoKey; privateKey: CryptoKey; privateKeyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { publicKey: keys.publicKey, privateKey: keys.privateKey, privateKeyPem: toPem(pkcs8, 'PRIVATE KEY') };
}

function certificatePem(cert: x509.X509Certificate): string {
  return toPem(cert.rawData, 'CERTIFICATE');
}


/**
 * A self-signed ECDSA P-256 / SHA-256 root CA for one MSP.
 *
 * @example
 * ```ts
 * const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
 * const alice = await ca.issueIdentity({ commonName: 'alice', attrs: { 'lc.role': 'issuer' } });
 * // alice.certificate, alice.privateKey: PEM; alice.mspId === 'Org1MSP'
 * ```
 */
export class CertificateAuthority {
  /** The MSP this CA roots. */
  readonly mspId: string;
  /** The organisation (subject O) of this CA and of everything it issues. */
  readonly organisation: string;
  /** The CA certificate, PEM. */
  readonly certificate: string;
  /** The CA private key, PKCS#8 PEM. */
  readonly privateKey: string;

  readonly #cert: x509.X509Certificate;
  readonly #signingKey: CryptoKey;
  readonly #authorityKeyId: x509.AuthorityKeyIdentifierExtension;

  private constructor(mspId: string, organisation: string, cert: x509.X509Certificate, signingKey: CryptoKey, privateKeyPem: string, aki: x509.AuthorityKeyIdentifierExtension) {
    this.mspId = mspId;
    this.organisation = organisation;
    this.#cert = cert;
    this.#signingKey = signingKey;
    this.#authorityKeyId = aki;
    this.certificate = certificatePem(cert);
    this.privateKey = privateKeyPem;
  }

  /** Subject CN of the CA certificate. */
  get commonName(): string {
    return this.#cert.subjectName.getField('CN')[0] ?? '';
  }

  /** Start of the CA certificate's validity. */
  get notBefore(): Date {
    return this.#cert.notBefore;
  }

  /** End of the CA certificate's validity; nothing it issues outlives it. */
  get notAfter(): Date {
    return this.#cert.notAfter;
  }

  /**
   * Creates a new root CA: fresh P-256 key, self-signed certificate with basicConstraints
   * CA:true (critical), keyUsage keyCertSign+cRLSign+digitalSignature (critical) and a
   * subjectKeyIdentifier.
   * @throws CodedError `CERTS_INVALID_ARGUMENT` on a malformed MSP ID, name or validity.
   */
  static async create(opts: Readonly<CreateCertificateAuthorityOptions>): Promise<CertificateAuthority> {
    const mspId = checkMspId(opts.mspId);
    const organisation = checkDnValue('organisation', opts.organisation);
    const commonName = checkDnValue('commonName', opts.commonName ?? `ca.${mspLabel(mspId)}`);
    const { notBefore, notAfter } = validity(opts.notBefore, opts.notAfter, (from) => new Date(from.getTime() + TEN_YEARS_MS));
    const keys = await generateKeyPair();
    const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: subjectName(organisation, commonName),
      notBefore,
      notAfter,
      signingAlgorithm: ECDSA_SHA256,
      keys: keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        ski,
      ],
    });
    return new CertificateAuthority(mspId, organisation, cert, keys.privateKey, keys.privateKeyPem, new x509.AuthorityKeyIdentifierExtension(ski.keyId));
  }

  /**
   * Loads an existing CA from its certificate and private key (PKCS#8 or SEC1 PEM). The MSP ID is
   * not part of a certificate (Fabric configures it per MSP), so it is passed in.
   * @throws CodedError `CERTS_MALFORMED` when the certificate is not a P-256 CA certificate,
   *   `CERTS_KEY_MISMATCH` when the key is not the certificate's.
   */
  static async load(certificatePem: string, privateKeyPem: string, mspId: string): Promise<CertificateAuthority> {
    checkMspId(mspId);
    const cert = parseX509(certificatePem);
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    if (!basic?.ca) throw certsError(CertsErrorCode.MALFORMED, 'certificate is not a CA certificate (basicConstraints CA:true missing)');
    const key = parseP256PrivateKey(privateKeyPem);
    assertKeyPair(key, certificatePem, 'the CA certificate');
    const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign']);
    // Reuse the CA's own key identifier: another tool may derive SKIs differently than SHA-1(key).
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
    const aki = ski
      ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
      : await x509.AuthorityKeyIdentifierExtension.create(cert.publicKey);
    const organisation = cert.subjectName.getField('O')[0] ?? '';
    return new CertificateAuthority(mspId, organisation, cert, signingKey, toPem(pkcs8, 'PRIVATE KEY'), aki);
  }

  /**
   * Issues an enrolment certificate (a member's signing identity): subject C/ST/L/O, OU=nodeOU,
   * CN=commonName; keyUsage digitalSignature (critical), basicConstraints CA:false (critical),
   * authority and subject key identifiers, and — when `attrs` is given — Fabric CA's attribute
   * extension.
   * @throws CodedError `CERTS_INVALID_ARGUMENT` on a bad name, nodeOU, attribute or validity.
   */
  async issueIdentity(opts: Readonly<IssueIdentityOptions>): Promise<Credentials> {
    const commonName = checkDnValue('commonName', opts.commonName);
    const nodeOU = opts.nodeOU ?? 'client';
    if (!isNodeOU(nodeOU)) throw certsError(CertsErrorCode.INVALID_ARGUMENT, `nodeOU must be client, peer, orderer or admin, not ${String(nodeOU)}`);
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ];
    if (opts.attrs !== undefined) extensions.push(new x509.Extension(FABRIC_ATTRS_OID, false, fabricAttributesValue(commonName, nodeOU, opts.attrs)));
    return this.#issue(subjectName(this.organisation, commonName, nodeOU), extensions, opts.notBefore, opts.notAfter);
  }

  /**
   * Issues a TLS certificate: subject C/ST/L/O/CN, subjectAltName from `hosts` (IP addresses as
   * iPAddress, the rest as dNSName), keyUsage digitalSignature (critical; RFC 5480 allows no
   * keyEncipherment for EC keys), extendedKeyUsage serverAuth and/or clientAuth.
   * @throws CodedError `CERTS_INVALID_ARGUMENT` on a bad host, usage or validity.
   */
  async issueTls(opts: Readonly<IssueTlsOptions>): Promise<Credentials> {
    const commonName = checkDnValue('commonName', opts.commonName);
    const usages = { server: [x509.ExtendedKeyUsage.serverAuth], client: [x509.ExtendedKeyUsage.clientAuth], both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] }[opts.usage];
    if (!usages) throw certsError(CertsErrorCode.INVALID_ARGUMENT, `usage must be server, client or both, not ${String(opts.usage)}`);
    if (!Array.isArray(opts.hosts)) throw certsError(CertsErrorCode.INVALID_ARGUMENT, 'hosts must be an array');
    if (opts.usage !== 'client' && opts.hosts.length === 0) {
      throw certsError(CertsErrorCode.INVALID_ARGUMENT, 'a TLS server certificate needs at least one host (clients match SANs, not the CN)');
    }
    const names = opts.hosts.map((host): x509.JsonGeneralName => {
      if (typeof host === 'string' && isIP(host) !== 0) return { type: 'ip', value: host };
      if (typeof host === 'string' && DNS_NAME.test(host) && host.length <= 253) return { type: 'dns', value: host };
      throw certsError(CertsErrorCode.INVALID_ARGUMENT, `host ${JSON.stringify(host)} is neither an IP address nor a DNS name`);
    });
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension(usages, false),
    ];
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
    return this.#issue(subjectName(this.organisation, commonName), extensions, opts.notBefore, opts.notAfter);
  }

  async #issue(subject: x509.Name, extensions: x509.Extension[], notBefore?: Date, notAfter?: Date): Promise<Credentials> {
    const caNotAfter = this.#cert.notAfter;
    const span = validity(notBefore, notAfter, () => caNotAfter);
    if (span.notAfter.getTime() > caNotAfter.getTime()) {
      throw certsError(CertsErrorCode.INVALID_ARGUMENT, `notAfter ${span.notAfter.toISOString()} is after the CA's own ${caNotAfter.toISOString()}`);
    }
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      // The CA's subject as encoded, so issuer/subject byte comparison (Go, OpenSSL) matches.
      issuer: new x509.Name(this.#cert.subjectName.toArrayBuffer()),
      notBefore: span.notBefore,
      notAfter: span.notAfter,
      signingAlgorithm: ECDSA_SHA256,
      publicKey: keys.publicKey,
      signingKey: this.#signingKey,
      extensions: [...extensions, this.#authorityKeyId, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    });
    return { mspId: this.mspId, certificate: certificatePem(cert), privateKey: keys.privateKeyPem };
  }
}

function checkMspId(mspId: unknown): string {
  if (typeof mspId !== 'string' || !ID_PATTERN.test(mspId)) {
    throw certsError(CertsErrorCode.INVALID_ARGUMENT, 'mspId must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return mspId;
}

/** Fabric CA's attribute extension value: its hf.* attributes plus the caller's. */
function fabricAttributesValue(enrollmentId: string, nodeOU: NodeOU, attrs: Readonly<Record<string, string>>): Uint8Array {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    throw certsError(CertsErrorCode.INVALID_ARGUMENT, 'attrs must be an object of strings');
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (RESERVED_FABRIC_ATTRS.includes(name)) throw certsError(CertsErrorCode.INVALID_ARGUMENT, `attribute ${name} is fixed by Fabric CA and cannot be set`);
    if (name === '' || typeof value !== 'string') throw certsError(CertsErrorCode.INVALID_ARGUMENT, `attribute ${JSON.stringify(name)} must have a non-empty name and a string value`);
  }
  try {
    return encodeFabricAttributes({ ...defaultFabricAttributes(enrollmentId, nodeOU), ...attrs });
  } catch (err) {
    throw certsError(CertsErrorCode.INVALID_ARGUMENT, (err as Error).message, err);
  }
}
