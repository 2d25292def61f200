/**
 * Seal signature verification for the verifier: the seal library's step-wise checks against the
 * trust roots, on worker threads, with two memories that never change an answer:
 *
 * - verified batch signatures: one batch signature covers thousands of licenses, so it is checked
 *   once per (trust roots, signature, manifest) and remembered here;
 * - in each worker, the seal library's {@link SealVerifyCache}: the maker's seal signature and
 *   the certificate paths, keyed by the seal's DER digest, the certificate fingerprints and the
 *   trust set — validity at the signing time is still judged for every document — so a distinct
 *   single-sealed document costs one SM2 verification.
 *
 * Both are pure functions of the bytes in their keys (certificates are judged at the signing time
 * the signature states), so they can never go stale. Ledger state is never cached here.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { CodedError } from '../domain/coded-error';
import type { SealVerification, TrustOptions } from '../seal/verify';
import { verifySealSignature } from '../seal/verify';
import { SealVerifyCache } from '../seal/verify-cache';
import { SealWorkerPool } from './seal-worker-pool';

/** Where the trusted seal roots come from (the demo keyring, a configured folder, …). */
export type SealTrustSource = () => TrustOptions | Promise<TrustOptions>;

/** The protected bytes, or their 32-byte SM3 digest. */
export type ProtectedInput = { readonly content: Uint8Array } | { readonly digest: Uint8Array };

/** A verification, or why the signature bytes could not be read at all. */
export type SignatureOutcome =
  | { readonly readable: true; readonly verification: SealVerification }
  | { readonly readable: false; readonly code: string; readonly message: string };

/** Trust roots, cache sizes and threads of a {@link SealSignatures}. */
export interface SealSignaturesOptions {
  readonly trust: SealTrustSource;
  /** Most batch signatures remembered (default 1024). */
  readonly cacheSize?: number;
  /** Seal-level results remembered per thread (seals and certificate paths; default 4096). */
  readonly sealCacheSize?: number;
  /**
   * Worker threads verifying signatures off the event loop (default: one per core). 0 verifies on
   * the calling thread.
   */
  readonly workers?: number;
}

/**
 * Verifies seal signatures, remembering verified batch signatures.
 * @example
 * const outcome = await signatures.verify(signatureDer, { content: batchManifestBytes(manifest) }, true);
 * await signatures.close(); // ends the worker threads
 */
export class SealSignatures {
  readonly #trust: SealTrustSource;
  readonly #cacheSize: number;
  readonly #verified = new Map<string, SealVerification>();
  /** Batch signatures being verified: concurrent requests for one batch wait for one verification. */
  readonly #pending = new Map<string, Promise<SignatureOutcome>>();
  readonly #pool: SealWorkerPool | undefined;
  readonly #sealCache: SealVerifyCache | undefined;

  constructor(options: Readonly<SealSignaturesOptions>) {
    this.#trust = options.trust;
    this.#cacheSize = options.cacheSize ?? 1024;
    const workers = options.workers ?? availableParallelism();
    if (workers > 0) {
      this.#pool = new SealWorkerPool({ size: workers, ...(options.sealCacheSize !== undefined ? { cacheSize: options.sealCacheSize } : {}) });
    } else {
      this.#sealCache = new SealVerifyCache({ maxEntries: options.sealCacheSize ?? 4096 });
    }
  }

  /**
   * Verifies `signature` over `input`. Unreadable signatures are an outcome (`readable: false`),
   * not an exception: in a presented license they are a forged or damaged seal, not a bad request.
   * With `remember`, a passing verification is cached by the bytes it covered.
   */
  async verify(signature: Uint8Array, input: ProtectedInput, remember = false): Promise<SignatureOutcome> {
    const trust = await this.#trust();
    if (!remember) return this.#run(trust, signature, input);
    const key = cacheKey(trust, signature, input);
    const cached = this.#verified.get(key);
    if (cached) {
      // Refresh its place: least recently used entries are dropped first.
      this.#verified.delete(key);
      this.#verified.set(key, cached);
      return { readable: true, verification: cached };
    }
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#run(trust, signature, input).then((outcome) => {
        if (outcome.readable && outcome.verification.ok) {
          this.#verified.set(key, outcome.verification);
          if (this.#verified.size > this.#cacheSize) this.#verified.delete(this.#verified.keys().next().value as string);
        }
        return outcome;
      });
      this.#pending.set(key, pending);
      const forget = (): void => void this.#pending.delete(key);
      pending.then(forget, forget);
    }
    return pending;
  }

  /** Number of remembered batch verifications (for tests and metrics). */
  get cached(): number {
    return this.#verified.size;
  }

  /** Ends the worker threads; verifications still running are refused. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  #run(trust: TrustOptions, signature: Uint8Array, input: ProtectedInput): Promise<SignatureOutcome> {
    if (this.#pool) return this.#pool.verify(trust, signature, input);
    try {
      return Promise.resolve(verifyOutcome(trust, signature, input, this.#sealCache));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * One verification as an outcome: `SEAL_MALFORMED` becomes `readable: false`; any other error
 * (unreadable trust roots, a wrong argument) is thrown. What the worker threads run.
 */
export function verifyOutcome(trust: TrustOptions, signature: Uint8Array, input: ProtectedInput, cache: SealVerifyCache | undefined): SignatureOutcome {
  try {
    return { readable: true, verification: verifySealSignature({ ...trust, signature, ...input, ...(cache ? { cache } : {}) }) };
  } catch (error) {
    if (error instanceof CodedError && error.code === 'SEAL_MALFORMED') return { readable: false, code: error.code, message: error.detail };
    throw error;
  }
}

/**
 * A trust source over a folder of root certificates, read again only when the folder changes
 * (its modification or change time, or inode) — not on every verification — so that a new
 * organisation's CA still counts at once. `load` reads the folder. Writers add and replace files
 * by rename (as the seal keyring does), which changes the folder's times; a read made within two
 * seconds of the folder's last change is not trusted to have seen it all (coarse file-system
 * clocks) and is made again on the next call.
 * @example
 * const trust = folderTrust(join(sealsDir(dataDir), 'trust'), () => loadSealTrustRoots(dataDir));
 */
export function folderTrust(folder: string, load: () => Uint8Array[]): SealTrustSource {
  let cached: { readonly stamp: string; readonly settled: boolean; readonly trust: TrustOptions } | undefined;
  return () => {
    let stamp = 'absent';
    let changedMs = 0;
    try {
      const stat = statSync(folder, { bigint: true });
      stamp = `${stat.ino}:${stat.mtimeNs}:${stat.ctimeNs}`;
      changedMs = Number((stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs) / 1_000_000n);
    } catch {
      // no folder (yet): no roots, until it appears
    }
    if (!cached || cached.stamp !== stamp || !cached.settled) {
      // A read within two seconds of the folder's last change may have missed a change made in
      // the same clock tick: such a read is used once, then made again.
      cached = { stamp, settled: Date.now() - changedMs >= 2000, trust: { trustedRoots: load() } };
    }
    return cached.trust;
  };
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
