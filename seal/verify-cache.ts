/**
 * What seal verification may remember between documents: the results that depend on the seal and
 * the certificates alone, never on the document or the time.
 *
 * A verifier sees the same few seals and signer certificates over and over, yet each GB/T 38540
 * signature carries the whole seal, so {@link verifySealSignature} would verify four SM2
 * signatures per document: the signer's, the maker's over the seal, and one per certificate chain.
 * Only the first depends on the document. With a cache, the others are computed once per
 *
 * - seal: the maker's signature over `SES_SealInfo` and the seal's facts, keyed by the SM3 of the
 *   whole SESeal DER (a seal altered in any byte — same esID or not — is another key);
 * - certificate path: the path from a maker or signer certificate to a trusted root with every
 *   certificate signature checked, keyed by the certificate's SM3 fingerprint and a digest of the
 *   ordered trusted roots and intermediates (another trust set is another key).
 *
 * Time is never cached: the validity periods on the path, the seal's window and the signer's
 * listing are judged for each document at its own signing time (`judgeChainAt`), so a cached path
 * whose maker certificate has expired by a later signing time fails for that document. Every
 * remembered value is a pure function of the bytes in its key, so the cache never changes an
 * answer; it is bounded (least recently used entries are dropped first).
 *
 * @example
 * const cache = new SealVerifyCache({ maxEntries: 4096 });
 * const result = verifySealSignature({ signature, digest, trustedRoots, cache });
 */
import { createHash } from 'node:crypto';
import type { CertificateInfo } from './x509';

/** Size of a {@link SealVerifyCache}. */
export interface SealVerifyCacheOptions {
  /** Most entries kept (seals and certificate paths together); default 4096. */
  readonly maxEntries?: number;
}

/** Hits and misses since the cache was made, and its size now. */
export interface SealVerifyCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

/** Bounded memory of document-independent seal verification results (see the module comment). */
export class SealVerifyCache {
  readonly #max: number;
  readonly #entries = new Map<string, unknown>();
  #hits = 0;
  #misses = 0;

  constructor(options: Readonly<SealVerifyCacheOptions> = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 4096);
  }

  /**
   * The value remembered under `key`, or `compute()` remembered under it. A throwing `compute`
   * remembers nothing.
   * @internal keys are built by the seal module ({@link sealKey}, {@link chainKey}).
   */
  remember<T>(key: string, compute: () => T): T {
    if (this.#entries.has(key)) {
      const value = this.#entries.get(key) as T;
      // Refresh its place: least recently used entries are dropped first.
      this.#entries.delete(key);
      this.#entries.set(key, value);
      this.#hits += 1;
      return value;
    }
    this.#misses += 1;
    const value = compute();
    this.#entries.set(key, value);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    return value;
  }

  get stats(): SealVerifyCacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** @internal The key of a seal's own results: SM3 of the SESeal DER, lower-case hex. */
export function sealKey(sealDigestHex: string): string {
  return `seal|${sealDigestHex}`;
}

/**
 * @internal The key of a certificate path: the leaf's SM3 fingerprint and a digest of the ordered
 * trusted roots and intermediates (order matters: path building takes the first issuer that
 * verifies).
 */
export function chainKey(leaf: CertificateInfo, roots: readonly CertificateInfo[], intermediates: readonly CertificateInfo[]): string {
  const trust = createHash('sha256')
    .update(roots.map((c) => c.fingerprint).join(','))
    .update('|')
    .update(intermediates.map((c) => c.fingerprint).join(','))
    .digest('hex');
  return `chain|${leaf.fingerprint}|${trust}`;
}
