/**
 * The signing strategy: whoever holds a seal maker's or signer's private key — this process, a
 * USBKey / HSM (SKF, SDF) or a signing server — implements {@link SealSigner}. Seal making and
 * document signing only ever call `sign`, then check the result against `certificate` (unless the
 * signer checks it itself). {@link newSoftwareSigner} signs on the calling thread;
 * `SignerPool` (signer-pool.ts) on worker threads.
 */
import { createPublicKey, sign as nodeSign } from 'node:crypto';
import { sealError } from './codes';
import type { SealAlgorithm, SealPrivateKey } from './keys';
import { sameSm2PublicKey, sm2Sign } from './sm2';
import { parseCertificate, type CertificateInfo } from './x509';

/**
 * A signing key bound to its certificate.
 *
 * `sign` receives the bytes to be signed (never a pre-computed digest) and returns:
 * - `SM2`: DER `SEQUENCE{r,s}` over SM3(Z_A || tbs), Z_A with user ID `1234567812345678`
 *   (GB/T 32918.2, GB/T 35276) — what SKF `SKF_ECCSignData` yields after the device's own Z step;
 * - `RSA`: RSASSA-PKCS1-v1_5 with SHA-256 over `tbs`.
 *
 * @example
 * ```ts
 * const signer = newSoftwareSigner(signerCertDer, importPrivateKeyPem(pem));
 * const sig = await signWithSeal({ seal, signer, digest, propertyInfo: licenseId });
 * ```
 */
export interface SealSigner {
  /** DER X.509 certificate of the signing key. */
  readonly certificate: Uint8Array;
  readonly algorithm: SealAlgorithm;
  /**
   * True when `sign` itself checks each signature against `certificate` before answering (a
   * `SignerPool` signer does, on its worker thread): seal signing then skips its own check.
   */
  readonly checksOwnSignatures?: boolean;
  sign(tbs: Uint8Array): Promise<Uint8Array>;
}

/** Runs a (possibly remote) signer; its failures become `SEAL_SIGNER_FAILED`. */
export async function callSigner(signer: SealSigner, tbs: Uint8Array): Promise<Uint8Array> {
  try {
    return await signer.sign(tbs);
  } catch (error) {
    throw sealError('SEAL_SIGNER_FAILED', `signer failed: ${(error as Error).message}`, error);
  }
}

/** A signer over a key held in this process. Throws `SEAL_KEY_INVALID` if key and certificate differ. */
export function newSoftwareSigner(certificate: Uint8Array, privateKey: SealPrivateKey): SealSigner {
  if (!keyMatchesCertificate(privateKey, parseCertificate(certificate, 'signer certificate'))) {
    throw sealError('SEAL_KEY_INVALID', 'the private key does not belong to the certificate');
  }
  return new SoftwareSigner(new Uint8Array(certificate), privateKey);
}

class SoftwareSigner implements SealSigner {
  readonly certificate: Uint8Array;
  readonly algorithm: SealAlgorithm;
  readonly #key: SealPrivateKey;

  constructor(certificate: Uint8Array, key: SealPrivateKey) {
    this.certificate = certificate;
    this.algorithm = key.algorithm;
    this.#key = key;
  }

  async sign(tbs: Uint8Array): Promise<Uint8Array> {
    const key = this.#key;
    if (key.algorithm === 'SM2') return sm2Sign(tbs, key.privateKey, { publicKey: key.publicKey });
    return new Uint8Array(nodeSign('sha256', tbs, key.key));
  }
}

/** True when `key` is the private half of the certificate's public key. */
export function keyMatchesCertificate(key: SealPrivateKey, cert: CertificateInfo): boolean {
  const pub = cert.publicKey;
  if (key.algorithm === 'SM2') {
    return pub.algorithm === 'SM2' && sameSm2PublicKey(pub.point, key.publicKey);
  }
  if (pub.algorithm !== 'RSA') return false;
  const mine = createPublicKey(key.key).export({ format: 'jwk' });
  const theirs = createPublicKey({ key: Buffer.from(pub.spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  return mine.n === theirs.n && mine.e === theirs.e;
}
