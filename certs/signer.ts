/**
 * A fabric-gateway-compatible signer on node:crypto: SHA-256 + ECDSA P-256, asynchronous, low-S.
 *
 * Why not fabric-gateway's own signer: it is pure JavaScript (~22× slower here). `crypto.sign`
 * with a callback runs on libuv's thread pool, so signing does not block the event loop.
 * Fabric rejects ECDSA signatures whose s is above n/2 (bccsp `IsLowS`), and OpenSSL emits
 * either half, so every signature is normalised to low-S.
 */
import { KeyObject, sign, verify } from 'node:crypto';
import { CertsErrorCode, certsError } from './errors';
import { parseP256PrivateKey, parsePublicKey } from './keys';

/** Signs a message (hashing it first); same shape as fabric-gateway's `Signer` with `hash.none`. */
export type NodeSigner = (message: Uint8Array) => Promise<Uint8Array>;

/** Order of the P-256 group. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_HALF_N = P256_N >> 1n;

/**
 * Creates a signer for a P-256 private key (PKCS#8 or SEC1 PEM). The key is parsed once.
 * Each call hashes `message` with SHA-256 and returns a DER `SEQUENCE { r, s }` with s ≤ n/2.
 *
 * @example
 * ```ts
 * const signer = newNodeSigner(credentials.privateKey);
 * const signature = await signer(proposalBytes);
 * ```
 * @throws CodedError `CERTS_MALFORMED` when the key is not a P-256 private key.
 */
export function newNodeSigner(privateKeyPem: string): NodeSigner {
  const key = parseP256PrivateKey(privateKeyPem);
  return (message) =>
    new Promise<Uint8Array>((resolve, reject) => {
      sign('sha256', message, key, (err, signature) => {
        if (err) reject(err);
        else resolve(toLowS(signature));
      });
    });
}

// Parsed public keys by PEM: parsing costs about twice the verification itself.
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_SIZE = 512;

function publicKeyFor(certificateOrKey: string | KeyObject): KeyObject {
  if (typeof certificateOrKey !== 'string') return certificateOrKey;
  let key = publicKeys.get(certificateOrKey);
  if (!key) {
    key = parsePublicKey(certificateOrKey);
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(certificateOrKey, key);
  }
  return key;
}

/**
 * Verifies a SHA-256/ECDSA DER signature over `message` as a Fabric peer would: a high-S
 * signature is refused even if mathematically valid.
 * @param certificateOrKey certificate PEM, public key PEM (both cached), or a public KeyObject.
 * @throws CodedError `CERTS_MALFORMED` when the PEM cannot be read; a malformed signature is
 *   simply `false`.
 */
export function verifyNodeSignature(certificateOrKey: string | KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyFor(certificateOrKey);
  let parsed: { r: bigint; s: bigint };
  try {
    parsed = parseDerSignature(signature);
  } catch {
    return false;
  }
  if (parsed.s > P256_HALF_N) return false;
  return verify('sha256', message, key, signature);
}

/** True when a DER ECDSA P-256 signature has s ≤ n/2 (what Fabric accepts). */
export function isLowS(signature: Uint8Array): boolean {
  return parseDerSignature(signature).s <= P256_HALF_N;
}

/** The same signature with s replaced by n − s when s > n/2; returned unchanged otherwise. */
export function toLowS(signature: Uint8Array): Uint8Array {
  const { r, s } = parseDerSignature(signature);
  if (s <= P256_HALF_N) return new Uint8Array(signature);
  return encodeDerSignature(r, P256_N - s);
}

function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  // SEQUENCE { INTEGER r, INTEGER s }; P-256 signatures are < 128 bytes, so lengths are short-form.
  const fail = (): never => {
    throw certsError(CertsErrorCode.MALFORMED, 'not a DER ECDSA P-256 signature');
  };
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) fail();
  let at = 2;
  const integer = (): bigint => {
    if (der[at] !== 0x02) fail();
    const len = der[at + 1] ?? 0;
    if (len === 0 || len > 33 || at + 2 + len > der.length) fail();
    const bytes = der.subarray(at + 2, at + 2 + len);
    // Strict DER, as Go's encoding/asn1 in Fabric: positive and minimally encoded.
    const first = bytes[0] ?? 0;
    if (first & 0x80 || (first === 0 && len > 1 && ((bytes[1] ?? 0) & 0x80) === 0)) fail();
    at += 2 + len;
    return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  };
  const r = integer();
  const s = integer();
  if (at !== der.length || r === 0n || s === 0n || r >= P256_N || s >= P256_N) fail();
  return { r, s };
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

function encodeDerSignature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return new Uint8Array(Buffer.concat([Buffer.of(0x30, body.length), body]));
}
