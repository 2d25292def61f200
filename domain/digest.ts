/**
 * Digests as self-describing strings, `<algorithm>:<64 lowercase hex>` (e.g. `sm3:66c7…`), so a
 * stored digest always says how to recompute it. SM3 (GB/T 32905) is the default; SHA-256 is kept
 * for interoperability. Both come from Node's OpenSSL 3.
 */
import { createHash, type Hash } from 'node:crypto';
import { CodedError } from './coded-error';

/** Supported digest algorithms, named as in the digest string prefix. */
export type DigestAlgorithm = 'sm3' | 'sha256';

/** JSON Schema `pattern` (and RegExp source) of a digest string. */
export const DIGEST_PATTERN = '^(sm3|sha256):[0-9a-f]{64}$';

const DIGEST = new RegExp(DIGEST_PATTERN);
const ALGORITHMS: readonly DigestAlgorithm[] = ['sm3', 'sha256'];

function checkAlgorithm(algorithm: DigestAlgorithm): void {
  if (!ALGORITHMS.includes(algorithm)) {
    throw new CodedError('VALIDATION_FAILED', `unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  }
}

/** SM3 of `data` (a string is hashed as UTF-8). */
export function sm3(data: Uint8Array | string): Buffer {
  return createHash('sm3').update(data).digest();
}

/**
 * The digest string of `data` (a string is hashed as UTF-8).
 * @example digestOf('abc') // 'sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0'
 */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sm3'): string {
  checkAlgorithm(algorithm);
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/**
 * Splits a digest string into algorithm and hex. Strict: known algorithm, exactly 64 lowercase hex
 * digits, nothing else (no spaces, no upper case) — digests are compared as strings.
 * @throws CodedError `VALIDATION_FAILED` when `text` is not a digest string.
 */
export function parseDigest(text: string): { algorithm: DigestAlgorithm; hex: string } {
  if (typeof text !== 'string' || !DIGEST.test(text)) {
    throw new CodedError('VALIDATION_FAILED', `digest must match ${DIGEST_PATTERN}`);
  }
  const colon = text.indexOf(':');
  return { algorithm: text.slice(0, colon) as DigestAlgorithm, hex: text.slice(colon + 1) };
}

/** An incremental digest, for streams too large to hold in memory. */
export interface Digester {
  /** Adds a chunk (a string is hashed as UTF-8); returns the digester for chaining. */
  update(chunk: Uint8Array | string): Digester;
  /** The digest string of everything added; the digester cannot be used afterwards. */
  digest(): string;
}

class HashDigester implements Digester {
  readonly #algorithm: DigestAlgorithm;
  readonly #hash: Hash;

  constructor(algorithm: DigestAlgorithm) {
    this.#algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  update(chunk: Uint8Array | string): Digester {
    this.#hash.update(chunk);
    return this;
  }

  digest(): string {
    return `${this.#algorithm}:${this.#hash.digest('hex')}`;
  }
}

/**
 * A streaming digester.
 * @example
 * const d = createDigester('sm3');
 * for await (const chunk of stream) d.update(chunk);
 * d.digest(); // 'sm3:…'
 */
export function createDigester(algorithm: DigestAlgorithm = 'sm3'): Digester {
  checkAlgorithm(algorithm);
  return new HashDigester(algorithm);
}
