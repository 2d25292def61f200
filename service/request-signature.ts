/**
 * LicenseChain's profile of HTTP Message Signatures (RFC 9421), by which one organisation calls
 * another's gateway as its X.509 ledger identity — the same ECDSA P-256 key and certificate it
 * submits transactions with — instead of a bearer token that only the same gateway knows.
 *
 * A signed request carries:
 * - `LC-Msp-Id`: the organisation (MSP) the caller claims; the certificate must chain to one of
 *   its root CAs (`member-trust.ts`).
 * - `LC-Certificate`: the caller's certificate, base64 of its DER.
 * - `Signature-Input: lc=("@method" "@path" "@query" "lc-msp-id" "lc-certificate");created=…;
 *   nonce="…";keyid="<SHA-256 of the certificate, hex>";alg="ecdsa-p256-sha256";tag="licensechain"`
 * - `Signature: lc=:<r‖s, base64>:`
 *
 * Method, path and query are covered, so a signature for one receipt cannot be moved to another;
 * the host is not, so a proxy between the organisations may rename it. `created` bounds the age
 * and `nonce` makes each signature single-use (`signed-request-verifier.ts`).
 *
 * Signature bases and the structured fields are built by `http-message-signatures` (RFC 9421
 * `httpbis`); keys and signing are node:crypto's.
 */
import { createHash, randomBytes, sign as signAsync, type KeyObject } from 'node:crypto';
import { httpbis } from 'http-message-signatures';
import { parseP256PrivateKey } from '../certs/keys';
import { fromPem } from '../certs/x509-provider';
import type { Credentials } from '../certs/credentials';

export const SIGNATURE_LABEL = 'lc';
/** Names the application the signature is for (RFC 9421 §2.3 `tag`). */
export const SIGNATURE_TAG = 'licensechain';
export const SIGNATURE_ALGORITHM = 'ecdsa-p256-sha256';
export const MSP_HEADER = 'lc-msp-id';
export const CERTIFICATE_HEADER = 'lc-certificate';
/** What every signature must cover. */
export const COVERED_COMPONENTS: readonly string[] = ['@method', '@path', '@query', MSP_HEADER, CERTIFICATE_HEADER];
/** Signature parameters every signature must carry. */
export const SIGNATURE_PARAMETERS: readonly string[] = ['created', 'nonce', 'keyid', 'alg', 'tag'];

/** An organisation's identity as a signer of HTTP requests. */
export interface SigningIdentity {
  readonly mspId: string;
  /** The X.509 certificate, PEM. */
  readonly certificate: string;
  /** ECDSA P-256 over SHA-256 of `data`, as r‖s (RFC 9421 §3.3.4), never DER. */
  sign(data: Buffer): Promise<Buffer>;
}

/** A signing identity from ledger credentials; the key is parsed once, signing runs on libuv's pool. */
export function signingIdentity(credentials: Credentials): SigningIdentity {
  const key: KeyObject = parseP256PrivateKey(credentials.privateKey);
  return {
    mspId: credentials.mspId,
    certificate: credentials.certificate,
    sign: (data) =>
      new Promise<Buffer>((resolve, reject) => {
        signAsync('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, (error, signature) => (error ? reject(error) : resolve(signature)));
      }),
  };
}

/** The certificate PEM as the `LC-Certificate` value, and the key id naming it. */
export function certificateHeader(certificatePem: string): { value: string; keyId: string } {
  const der = fromPem(certificatePem, 'CERTIFICATE');
  if (!der) throw new TypeError('the signing identity has no PEM certificate');
  const bytes = Buffer.from(der);
  return { value: bytes.toString('base64'), keyId: createHash('sha256').update(bytes).digest('hex') };
}

export interface SignOptions {
  /** Default: now. Tests set it to produce stale or future signatures. */
  readonly created?: Date;
  /** Default: 128 random bits, base64url. */
  readonly nonce?: string;
}

/**
 * The headers that make `method url` a signed request of `identity` (add them to the request as
 * they are; any other header may be added too).
 * @example
 * const headers = await signRequest(identity, 'GET', `${base}/v1/materials/${id}/content?receipt=${r}`);
 * await fetch(url, { headers });
 */
export async function signRequest(identity: SigningIdentity, method: string, url: string | URL, options: SignOptions = {}): Promise<Record<string, string>> {
  const certificate = certificateHeader(identity.certificate);
  const headers = { [MSP_HEADER]: identity.mspId, [CERTIFICATE_HEADER]: certificate.value };
  const signed = await httpbis.signMessage(
    {
      key: { id: certificate.keyId, alg: SIGNATURE_ALGORITHM, sign: (data: Buffer) => identity.sign(data) },
      name: SIGNATURE_LABEL,
      fields: [...COVERED_COMPONENTS],
      params: [...SIGNATURE_PARAMETERS],
      paramValues: { created: options.created ?? new Date(), nonce: options.nonce ?? randomBytes(16).toString('base64url'), tag: SIGNATURE_TAG },
    },
    { method: method.toUpperCase(), url: url.toString(), headers },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
}
