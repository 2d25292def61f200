/**
 * A signer's check of its own SM2 signatures, at about half the cost of {@link sm2Verify}.
 *
 * Verification (GB/T 32918.2 §7.1) computes t = (r + s) mod n, (x₁, y₁) = s·G + t·P_A and accepts
 * when (e + x₁) mod n = r. The holder of the private key d knows P_A = d·G, so s·G + t·P_A is
 * (s + t·d)·G: one multiplication of the base point — with its precomputed table, the cost of
 * signing — instead of two, one of them by a point without a table. Same equation, same answer,
 * provided P_A really is d·G: {@link Sm2SelfCheck} establishes that once, when it is made.
 *
 * What it guards against is what the verification after signing always guarded against in a
 * software signer: a signature computed wrongly (a fault, a bug) leaving the process.
 */
import { sm2 } from 'sm-crypto-v2';
import { decodeSm2Signature, sameSm2PublicKey, sm2MessageDigest, sm2PublicKeyFromPrivate, type Sm2Options } from './sm2';

/** Order n of the sm2p256v1 base point. */
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Checks signatures made with one private key against the public key they must verify with. */
export class Sm2SelfCheck {
  readonly #d: bigint;
  readonly #publicKey: Uint8Array;

  /**
   * @param publicKey the point signatures must verify with (e.g. the certificate's).
   * @throws Error when `privateKey` is not the private half of `publicKey`.
   */
  constructor(privateKey: Uint8Array, publicKey: Uint8Array) {
    if (!sameSm2PublicKey(sm2PublicKeyFromPrivate(privateKey), publicKey)) throw new Error('the private key is not the public key’s');
    this.#d = BigInt(`0x${hex(privateKey)}`);
    this.#publicKey = new Uint8Array(publicKey);
  }

  /** True exactly when `sm2Verify(message, signature, publicKey, options)` is (DER signatures). Never throws. */
  verifies(message: Uint8Array, signature: Uint8Array, options: Sm2Options = {}): boolean {
    try {
      const rs = decodeSm2Signature(signature);
      if (!rs) return false;
      const t = (rs.r + rs.s) % N;
      if (t === 0n) return false;
      const k = (rs.s + t * this.#d) % N;
      if (k === 0n) return false; // s·G + t·P_A is the point at infinity
      const point = sm2.getPublicKeyFromPrivateKey(k.toString(16).padStart(64, '0'));
      const x1 = BigInt(`0x${point.slice(2, 66)}`);
      const e = BigInt(`0x${hex(sm2MessageDigest(message, this.#publicKey, options.userId))}`);
      return (e + x1) % N === rs.r;
    } catch {
      return false;
    }
  }
}
