/**
 * Holder references: how people and companies appear on the ledger without their codes in clear
 * (README "Actors and roles"). `hr:` + HMAC-SM3(consortium key, codeType + ":" + normalised code).
 *
 * A keyed hash, not a plain one: identity numbers are guessable (birth date, area, check digit), so
 * an unkeyed hash could be reversed by enumeration. The key is a gateway secret.
 */
import { createHmac } from 'node:crypto';
import { checkHolderCode } from './holder-code';

/** Shortest consortium key accepted, in bytes (128 bits). */
export const HOLDER_REF_MIN_KEY_BYTES = 16;

/** JSON Schema `pattern` (and RegExp source) of a holder reference. */
export const HOLDER_REF_PATTERN = '^hr:[0-9a-f]{64}$';

/**
 * The holder reference of a holder code. The code is validated and normalised first (trimmed,
 * upper-cased), so `11010519491231002x` and `11010519491231002X` give the same reference.
 * @throws RangeError when `key` is not a Uint8Array of at least 16 bytes (a configuration fault,
 * not a client's).
 * @throws CodedError `INVALID_HOLDER_CODE` when the code type or code is invalid.
 * @example holderRef(key, '111', '11010519491231002X') // 'hr:…64 hex…'
 */
export function holderRef(key: Uint8Array, codeType: string, code: string): string {
  if (!(key instanceof Uint8Array) || key.length < HOLDER_REF_MIN_KEY_BYTES) {
    throw new RangeError(`holder reference key must be at least ${HOLDER_REF_MIN_KEY_BYTES} bytes`);
  }
  const normalised = checkHolderCode(codeType, code);
  const mac = createHmac('sm3', key).update(`${normalised.codeType}:${normalised.code}`, 'utf8');
  return `hr:${mac.digest('hex')}`;
}
