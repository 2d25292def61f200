/**
 * Seal signature verification for the verifier: the seal library's step-wise checks against the
 * trust roots, plus a cache of verified batch signatures. One batch signature covers thousands of
 * licenses, so it is checked once per (trust roots, signature, manifest) and remembered; the
 * result is a pure function of those bytes (certificates are judged at the signing time the
 * signature states), so the cache can never go stale. Ledger state is never cached here.
 */
import { createHash } from 'node:crypto';
import { CodedError } from '../domain/coded-error';
import { type SealVerification, type TrustOptions, verifySealSignature } from '../seal';

/** Where the trusted seal roots come from (the demo keyring, a configured folder, …). */
export type SealTrustSource = () => TrustOptions | Promise<TrustOptions>;

/** The protected bytes, or their 32-byte SM3 digest. */
export type ProtectedInput = { readonly content: Uint8Array } | { readonly digest: Uint8Array };

/** A verification, or why the signature bytes could not be read at all. */
export type SignatureOutcome =
  | { readonly readable: true; readonly verification: SealVerification }
  | { readonly readable: false; readonly code: string; readonly message: string };

/** Trust roots and cache size of a {@link SealSignatures}. */
export interface SealSignaturesOptions {
  readonly trust: SealTrustSource;
  /** Most batch signatures remembered (default 1024). */
  readonly cacheSize?: number;
}

/**
 * Verifies seal signatures, remembering verified batch signatures.
 * @example
 * const outcome = await signatures.verify(signatureDer, { content: batchManifestBytes(manifest) }, true);
 */
export class SealSignatures {
  readonly #trust: SealTrustSource;
  readonly #cacheSize: number;
  readonly #verified = new Map<string, SealVerification>();

  constructor(options: Readonly<SealSignaturesOptions>) {
    this.#trust = options.trust;
    this.#cacheSize = options.cacheSize ?? 1024;
  }

  /**
   * Verifies `signature` over `input`. Unreadable signatures are an outcome (`readable: false`),
   * not an exception: in a presented license they are a forged or damaged seal, not a bad request.
   * With `remember`, a passing verification is cached by the bytes it covered.
   */
  async verify(signature: Uint8Array, input: ProtectedInput, remember = false): Promise<SignatureOutcome> {
    const trust = await this.#trust();
    const key = remember ? cacheKey(trust, signature, input) : undefined;
    const cached = key === undefined ? undefined : this.#verified.get(key);
    if (cached) {
      // Refresh its place: least recently used entries are dropped first.
      this.#verified.delete(key as string);
      this.#verified.set(key as string, cached);
      return { readable: true, verification: cached };
    }
    let verification: SealVerification;
    try {
      verification = verifySealSignature({ ...trust, signature, ...input });
    } catch (error) {
      if (error instanceof CodedError && error.code === 'SEAL_MALFORMED') return { readable: false, code: error.code, message: error.detail };
      throw error;
    }
    if (key !== undefined && verification.ok) {
      this.#verified.set(key, verification);
      if (this.#verified.size > this.#cacheSize) this.#verified.delete(this.#verified.keys().next().value as string);
    }
    return { readable: true, verification };
  }

  /** Number of remembered verifications (for tests and metrics). */
  get cached(): number {
    return this.#verified.size;
  }
}

function cacheKey(trust: TrustOptions, signature: Uint8Array, input: ProtectedInput): string {
  const hash = createHash('sha256');
  const part = (bytes: Uint8Array): void => {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.length));
    hash.update(length).update(bytes);
  };
  for (const root of trust.trustedRoots) part(root);
  hash.update('|');
  for (const cert of trust.intermediates ?? []) part(cert);
  hash.update('content' in input ? 'c' : 'd');
  part(signature);
  part('content' in input ? input.content : input.digest);
  return hash.digest('hex');
}
