/**
 * Channel membership: which organisations (MSPs) may submit, and whether a proposal's creator is
 * one of theirs. A creator is accepted only if its certificate chains to a root certificate of
 * its claimed MSP and is within its validity period; the proposal signature must verify with the
 * certificate's key. Results per certificate are cached (parsing and chain checks are costly,
 * certificates are immutable); validity times are checked on every call.
 */
import { parseCertificate, verifyChain } from '../../certs/certificate-info';
import type { ChannelConfig } from './block';
import type { Creator } from './proposal';
import { SignatureVerifier } from './signature-verifier';

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
  /** When the check ran: validity windows move with time, so a check is reused for a minute only. */
  readonly checkedAt: number;
}

const CACHE_LIMIT = 10_000;
const RECHECK_MS = 60_000;

export class Membership {
  readonly #roots = new Map<string, readonly string[]>();
  readonly #checked = new Map<string, Promise<CheckedCertificate>>();
  readonly #verifier = new SignatureVerifier();

  constructor(config: ChannelConfig) {
    for (const org of config.organisations) this.#roots.set(org.mspId, org.rootCertificates);
  }

  /** Throws IdentityRefusedError unless `creator` is a valid member identity now; returns its public key (PEM). */
  async validateCreator(creator: Creator): Promise<string> {
    const cacheKey = `${creator.mspId}\n${creator.idBytes}`;
    let checked = this.#checked.get(cacheKey);
    if (checked === undefined || Date.now() - (await checked).checkedAt > RECHECK_MS) {
      if (this.#checked.size >= CACHE_LIMIT) this.#checked.clear();
      checked = this.#check(creator);
      this.#checked.set(cacheKey, checked);
    }
    const result = await checked;
    if (result.error) throw new IdentityRefusedError(result.error);
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
    const checkedAt = Date.now();
    const roots = this.#roots.get(creator.mspId);
    if (!roots) return { error: `${creator.mspId} is not a member of the channel`, checkedAt };
    let info;
    try {
      info = parseCertificate(creator.idBytes);
    } catch {
      return { error: `creator certificate of ${creator.mspId} cannot be parsed`, checkedAt };
    }
    const chain = await verifyChain(creator.idBytes, roots, new Date(checkedAt));
    if (!chain.ok) {
      const reasons: Record<string, string> = {
        UNKNOWN_ISSUER: `is not issued by a CA of ${creator.mspId}`,
        BAD_SIGNATURE: `is not issued by a CA of ${creator.mspId}`,
        EXPIRED: 'has expired',
        NOT_YET_VALID: 'is not yet valid',
        CA_NOT_VALID: 'is issued by a CA that is not valid now',
      };
      return { error: `creator certificate ${reasons[chain.code] ?? chain.reason}`, checkedAt };
    }
    return { publicKey: info.publicKey.export({ type: 'spki', format: 'pem' }).toString(), checkedAt };
  }
}
