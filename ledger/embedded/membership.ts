/**
 * Channel membership: which organisations (MSPs) may submit, and whether a proposal's creator is
 * one of theirs. A creator is accepted only if its certificate chains to a root certificate of
 * its claimed MSP and is within its validity period; the proposal signature must verify with the
 * certificate's key. Results per certificate are cached (parsing and chain checks are costly,
 * certificates are immutable); validity times are checked on every call.
 */
import * as x509 from '@peculiar/x509';
import type { ChannelConfig } from './block';
import type { Creator } from './proposal';
import { SignatureVerifier } from './signature-verifier';

x509.cryptoProvider.set(globalThis.crypto);

export class IdentityRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityRefusedError';
  }
}

interface CheckedCertificate {
  readonly error?: string;
  /** SPKI PEM of the certificate's key. */
  readonly publicKey?: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

const CACHE_LIMIT = 10_000;

export class Membership {
  readonly #roots = new Map<string, x509.X509Certificate[]>();
  readonly #checked = new Map<string, Promise<CheckedCertificate>>();
  readonly #verifier = new SignatureVerifier();

  constructor(config: ChannelConfig) {
    for (const org of config.organisations) {
      this.#roots.set(
        org.mspId,
        org.rootCertificates.map((pem) => new x509.X509Certificate(pem)),
      );
    }
  }

  get mspIds(): string[] {
    return [...this.#roots.keys()];
  }

  /** Throws IdentityRefusedError unless `creator` is a valid member identity at `now`. */
  async validateCreator(creator: Creator, now: Date = new Date()): Promise<string> {
    const cacheKey = `${creator.mspId}\n${creator.idBytes}`;
    let checked = this.#checked.get(cacheKey);
    if (!checked) {
      if (this.#checked.size >= CACHE_LIMIT) this.#checked.clear();
      checked = this.#check(creator);
      this.#checked.set(cacheKey, checked);
    }
    const result = await checked;
    if (result.error) throw new IdentityRefusedError(result.error);
    const t = now.getTime();
    if (t < result.notBefore) throw new IdentityRefusedError(`creator certificate of ${creator.mspId} is not yet valid`);
    if (t > result.notAfter) throw new IdentityRefusedError(`creator certificate of ${creator.mspId} has expired`);
    return result.publicKey as string;
  }

  /** Verifies an ECDSA-SHA256 signature by `publicKey` (SPKI PEM from validateCreator). */
  verifySignature(publicKey: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.#verifier.verify(publicKey, message, signature);
  }

  close(): Promise<void> {
    return this.#verifier.close();
  }

  async #check(creator: Creator): Promise<CheckedCertificate> {
    const roots = this.#roots.get(creator.mspId);
    if (!roots) return { error: `${creator.mspId} is not a member of the channel`, notBefore: 0, notAfter: 0 };
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(creator.idBytes);
    } catch {
      return { error: `creator certificate of ${creator.mspId} cannot be parsed`, notBefore: 0, notAfter: 0 };
    }
    const window = { notBefore: cert.notBefore.getTime(), notAfter: cert.notAfter.getTime() };
    for (const root of roots) {
      if (cert.issuer !== root.subject) continue;
      const signedByRoot = await cert.verify({ publicKey: root.publicKey, signatureOnly: true }).catch(() => false);
      if (!signedByRoot) continue;
      return { ...window, publicKey: cert.publicKey.toString('pem') };
    }
    return { ...window, error: `creator certificate is not issued by a CA of ${creator.mspId}` };
  }
}
