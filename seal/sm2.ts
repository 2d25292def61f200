/**
 * SM2 signatures per GB/T 32918.2: e = SM3(Z_A || M) with Z_A over the signer's user ID (default
 * `1234567812345678`, GM/T 0009), signature DER `SEQUENCE { r INTEGER, s INTEGER }` (GB/T 35276).
 *
 * The curve arithmetic is sm-crypto-v2's (noble-curves underneath). This file adds what it leaves
 * to the caller: strict DER for signatures, the r/s range checks of GB/T 32918.2 §7.1 B1–B2,
 * private-key range checks, and per-key caches (Z and a precomputed point) because a verifier sees
 * the same few seal, maker and CA keys over and over. Node's own `crypto.sign` with an SM2 key is
 * not used: it does not produce standard SM2 signatures (standards.md §4). Its native `sm3` is.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { sm2 } from 'sm-crypto-v2';

/** GM/T 0009 default signer identity used when no other is agreed. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** Order n of the sm2p256v1 base point. */
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

type Point = ReturnType<typeof sm2.precomputePublicKey>;

/** A raw SM2 key pair: 32-byte private scalar, 65-byte uncompressed public point `04||x||y`. */
export interface Sm2KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * A public key prepared for repeated verification (validated point, window precomputation, Z cache).
 * Obtain with {@link prepareSm2PublicKey}.
 */
export interface Sm2PreparedPublicKey {
  readonly publicKey: Uint8Array;
  /** @internal */
  readonly point: Point;
  /** @internal */
  readonly z: Map<string, Uint8Array>;
}

/** SM2 signing / verification options. */
export interface Sm2Options {
  /** Signer identity for Z_A; defaults to {@link SM2_DEFAULT_USER_ID}. */
  readonly userId?: string;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** Generates a key pair from the platform CSPRNG (via sm-crypto-v2 / noble). */
export function generateSm2KeyPair(): Sm2KeyPair {
  for (;;) {
    const pair = sm2.generateKeyPairHex();
    const d = BigInt(`0x${pair.privateKey}`);
    // GB/T 32918.1 §6.1 wants d in [1, n-2]; (1 + d) must be invertible mod n.
    if (d >= 1n && d <= N - 2n) return { privateKey: unhex(pair.privateKey.padStart(64, '0')), publicKey: unhex(pair.publicKey) };
  }
}

/** Derives the uncompressed public key; throws a plain Error for an out-of-range scalar. */
export function sm2PublicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  const d = privateScalar(privateKey);
  return unhex(sm2.getPublicKeyFromPrivateKey(d.toString(16).padStart(64, '0')));
}

/** True when `publicKey` is a valid point on sm2p256v1 (compressed or uncompressed encoding). */
export function isSm2PublicKey(publicKey: Uint8Array): boolean {
  try {
    return (publicKey.length === 65 || publicKey.length === 33) && sm2.verifyPublicKey(hex(publicKey));
  } catch {
    return false;
  }
}

/** True when two encodings (compressed or not) denote the same public point. Never throws. */
export function sameSm2PublicKey(a: Uint8Array, b: Uint8Array): boolean {
  try {
    return sm2.comparePublicKeyHex(hex(a), hex(b));
  } catch {
    return false;
  }
}

/**
 * Validates and precomputes a public key. `windowSize` 8 costs ~40 ms once and makes each verify
 * several times faster; the internal cache uses 4 (~5 ms) so a one-off verify stays cheap.
 */
export function prepareSm2PublicKey(publicKey: Uint8Array, windowSize = 8): Sm2PreparedPublicKey {
  if (!isSm2PublicKey(publicKey)) throw new Error('not an SM2 public key');
  const point = sm2.precomputePublicKey(hex(publicKey), windowSize);
  return { publicKey: unhex(point.toHex(false)), point, z: new Map() };
}

/** Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GB/T 32918.2 §5.5. */
export function sm2Z(publicKey: Uint8Array | Sm2PreparedPublicKey, userId: string = SM2_DEFAULT_USER_ID): Uint8Array {
  const prepared = publicKey instanceof Uint8Array ? cachedKey(publicKey) : publicKey;
  let z = prepared.z.get(userId);
  if (!z) {
    if (Buffer.byteLength(userId, 'utf8') * 8 > 0xffff) throw new Error('SM2 user ID too long');
    z = new Uint8Array(sm2.getZ(hex(prepared.publicKey), userId));
    prepared.z.set(userId, z);
  }
  return z;
}

/** e = SM3(Z_A || M), the value actually signed. */
export function sm2MessageDigest(message: Uint8Array, publicKey: Uint8Array | Sm2PreparedPublicKey, userId?: string): Uint8Array {
  return new Uint8Array(createHash('sm3').update(sm2Z(publicKey, userId)).update(message).digest());
}

/**
 * Signs `message` (not a digest: Z and SM3 are applied here) and returns DER `SEQUENCE{r,s}`.
 * Pass `publicKey` when known to skip deriving it from the private key.
 */
export function sm2Sign(
  message: Uint8Array,
  privateKey: Uint8Array,
  options: Sm2Options & { readonly publicKey?: Uint8Array } = {},
): Uint8Array {
  const d = privateScalar(privateKey);
  const publicKey = options.publicKey ?? sm2PublicKeyFromPrivate(privateKey);
  const e = sm2MessageDigest(message, publicKey, options.userId);
  const rs = sm2.doSignature(e, d.toString(16).padStart(64, '0'), { hash: false, der: false });
  return encodeSm2Signature(BigInt(`0x${rs.slice(0, 64)}`), BigInt(`0x${rs.slice(64)}`));
}

/**
 * Verifies an SM2 signature over `message`. Accepts DER `SEQUENCE{r,s}` and, for interoperability
 * with implementations that store it that way, the 64-byte raw `r||s`. Never throws.
 */
export function sm2Verify(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array | Sm2PreparedPublicKey,
  options: Sm2Options = {},
): boolean {
  try {
    const rs = decodeSm2Signature(signature) ?? (signature.length === 64 ? rawSignature(signature) : undefined);
    if (!rs) return false;
    const prepared = publicKey instanceof Uint8Array ? cachedKey(publicKey) : publicKey;
    const e = sm2MessageDigest(message, prepared, options.userId);
    const rsHex = rs.r.toString(16).padStart(64, '0') + rs.s.toString(16).padStart(64, '0');
    return sm2.doVerifySignature(e, rsHex, prepared.point, { hash: false, der: false });
  } catch {
    return false;
  }
}

/** DER-encodes `SEQUENCE { r INTEGER, s INTEGER }`. */
export function encodeSm2Signature(r: bigint, s: bigint): Uint8Array {
  const seq = new asn1js.Sequence({ value: [asn1js.Integer.fromBigInt(r), asn1js.Integer.fromBigInt(s)] });
  return new Uint8Array(seq.toBER());
}

/**
 * Decodes a strict-DER SM2 signature; undefined when it is not exactly DER or r, s are outside
 * [1, n-1] (GB/T 32918.2 §7.1 B1–B2).
 */
export function decodeSm2Signature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  try {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset !== der.length || !(parsed.result instanceof asn1js.Sequence)) return undefined;
    const [r, s, extra] = parsed.result.valueBlock.value;
    if (!(r instanceof asn1js.Integer) || !(s instanceof asn1js.Integer) || extra) return undefined;
    const result = { r: r.toBigInt(), s: s.toBigInt() };
    if (!inRange(result.r) || !inRange(result.s)) return undefined;
    // Re-encoding must give the same bytes: rejects BER lengths and non-minimal integers.
    if (!Buffer.from(encodeSm2Signature(result.r, result.s)).equals(der)) return undefined;
    return result;
  } catch {
    return undefined;
  }
}

function rawSignature(raw: Uint8Array): { r: bigint; s: bigint } | undefined {
  const r = BigInt(`0x${hex(raw.subarray(0, 32))}`);
  const s = BigInt(`0x${hex(raw.subarray(32))}`);
  return inRange(r) && inRange(s) ? { r, s } : undefined;
}

const inRange = (v: bigint): boolean => v >= 1n && v < N;

function privateScalar(privateKey: Uint8Array): bigint {
  if (privateKey.length !== 32) throw new Error('SM2 private key must be 32 bytes');
  const d = BigInt(`0x${hex(privateKey)}`);
  if (d < 1n || d > N - 2n) throw new Error('SM2 private key out of range');
  return d;
}

// Bounded cache of prepared keys: verifiers meet the same CA, maker and signer keys repeatedly.
const CACHE_LIMIT = 256;
const cache = new Map<string, Sm2PreparedPublicKey>();

function cachedKey(publicKey: Uint8Array): Sm2PreparedPublicKey {
  const key = hex(publicKey);
  let prepared = cache.get(key);
  if (prepared) {
    cache.delete(key);
  } else {
    prepared = prepareSm2PublicKey(publicKey, 4);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, prepared);
  return prepared;
}
