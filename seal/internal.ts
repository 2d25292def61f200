/** Small helpers shared inside the seal module (not exported from index.ts). */
import { createHash } from 'node:crypto';
import { sealError } from './codes';

/** SM3 digest (Node's native implementation). */
export function sm3(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sm3').update(data).digest());
}

/** Lower-case hex. */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Byte equality. */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A standalone ArrayBuffer copy (asn1 schema classes want one). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Signed times are whole seconds: GeneralizedTime/UTCTime readers commonly reject fractions. */
export function wholeSeconds(date: Date, what = 'date'): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw sealError('SEAL_INVALID_ARGUMENT', `invalid ${what}`);
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
