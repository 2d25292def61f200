/** Parsing and pairing of ECDSA P-256 keys with node:crypto (shared by the CA, signer and layout). */
import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { CertsErrorCode, certsError } from './errors';

/**
 * Parses a private key PEM (PKCS#8 or SEC1) and requires ECDSA P-256.
 * @throws CodedError `CERTS_MALFORMED`.
 */
export function parseP256PrivateKey(privateKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw certsError(CertsErrorCode.MALFORMED, 'private key is not a readable PEM key', err);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw certsError(CertsErrorCode.MALFORMED, 'private key is not an ECDSA P-256 key');
  }
  return key;
}

/**
 * The public key in a certificate PEM or a public key PEM.
 * @throws CodedError `CERTS_MALFORMED`.
 */
export function parsePublicKey(certificateOrKeyPem: string): KeyObject {
  try {
    return certificateOrKeyPem.includes('CERTIFICATE-----')
      ? new X509Certificate(certificateOrKeyPem).publicKey
      : createPublicKey(certificateOrKeyPem);
  } catch (err) {
    throw certsError(CertsErrorCode.MALFORMED, 'neither a certificate nor a public key PEM', err);
  }
}

/** PKCS#8 PEM of a private key, whatever PEM form it was read from. */
export function toPkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Requires that `privateKey` is the key of `certificatePem`.
 * @throws CodedError `CERTS_KEY_MISMATCH`.
 */
export function assertKeyPair(privateKey: KeyObject, certificatePem: string, what: string): void {
  const fromKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const fromCert = parsePublicKey(certificatePem).export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(fromCert)) throw certsError(CertsErrorCode.KEY_MISMATCH, `private key does not belong to ${what}`);
}
