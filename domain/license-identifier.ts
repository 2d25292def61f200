/**
 * The e-license identifier of GB/T 36904-2018 (standards.md §1):
 * `1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>`.
 *
 * Parsing is strict: an identifier is a ledger key, so two spellings of one license must not exist.
 */
import { CodedError } from './coded-error';
import { isUsccShape } from './holder-code';

/** The fixed OID root of every e-license identifier. */
export const IDENTIFIER_ROOT = '1.2.156.3005.2';

/** A root seen in the wild that is a typo for {@link IDENTIFIER_ROOT}; named so the error can say so. */
const TYPO_ROOT = '1.2.156.3003.2';

/**
 * Longest serial (流水号) accepted. The standard leaves the length to the issuer (7–20 seen);
 * the maximum is unconfirmed, so it lives here and only here.
 */
export const LICENSE_SERIAL_MAX_LENGTH = 40;

/** Highest version: the segment has three digits. */
const MAX_VERSION = 999;

const CHECK_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const CHECK_BODY = /^[0-9A-Z]+$/;
/** Type code: the defining body's USCC (shape only) followed by a 3-digit sequence. */
const TYPE_CODE = /^[0-9A-HJ-NP-RTUWXY]{18}\d{3}$/;
const SERIAL = new RegExp(`^[0-9A-Z]{1,${LICENSE_SERIAL_MAX_LENGTH}}$`);
const VERSION = /^\d{3}$/;
const CHECK_CHAR = /^[0-9A-Z]$/;

/** The variable parts of an identifier; root and check character are derived. */
export interface LicenseIdentifierParts {
  /** 证照类型代码: 21 characters, the defining body's USCC + 3 digits. */
  typeCode: string;
  /** 颁发机构代码: the issuing body's 18-character USCC. */
  issuerCode: string;
  /** 流水号: `[0-9A-Z]{1,40}`. */
  serial: string;
  /** 版本号: 1–999, written as 3 digits. */
  version: number;
}

function invalid(message: string): CodedError {
  return new CodedError('INVALID_IDENTIFIER', message);
}

/** Says "must be upper case" when that is the only fault, so the fix is obvious. */
function shapeError(part: string, value: string, shape: string, test: (v: string) => boolean): CodedError {
  const why = value !== value.toUpperCase() && test(value.toUpperCase()) ? 'must be upper case' : `must be ${shape}`;
  return invalid(`${part} ${JSON.stringify(value)} ${why}`);
}

const TYPE_CODE_SHAPE = 'an 18-character USCC followed by 3 digits';
const ISSUER_SHAPE = 'an 18-character USCC (0-9, A-Y without I, O, S, V, Z)';
const SERIAL_SHAPE = `1 to ${LICENSE_SERIAL_MAX_LENGTH} characters of 0-9 and A-Z`;

/** Checks the three code segments, in identifier order, so the first fault reported is the leftmost. */
function checkCodes(typeCode: unknown, issuerCode: unknown, serial: unknown): void {
  if (typeof typeCode !== 'string' || !TYPE_CODE.test(typeCode)) {
    throw shapeError('type code', String(typeCode), TYPE_CODE_SHAPE, (v) => TYPE_CODE.test(v));
  }
  if (typeof issuerCode !== 'string' || !isUsccShape(issuerCode)) {
    throw shapeError('issuer code', String(issuerCode), ISSUER_SHAPE, isUsccShape);
  }
  if (typeof serial !== 'string' || !SERIAL.test(serial)) {
    throw shapeError('serial', String(serial), SERIAL_SHAPE, (v) => SERIAL.test(v));
  }
}

function checkParts(parts: LicenseIdentifierParts): void {
  if (typeof parts !== 'object' || parts === null) throw invalid('identifier parts must be an object');
  const { typeCode, issuerCode, serial, version } = parts;
  checkCodes(typeCode, issuerCode, serial);
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw invalid(`version ${String(version)} must be an integer from 1 to ${MAX_VERSION}`);
  }
}

function versionSegment(version: number): string {
  return String(version).padStart(3, '0');
}

/**
 * ISO/IEC 7064 MOD 37,36 (hybrid system) check character over `[0-9A-Z]+`.
 * @throws CodedError `INVALID_IDENTIFIER` when `body` is empty or has other characters.
 */
export function mod3736CheckCharacter(body: string): string {
  if (typeof body !== 'string' || !CHECK_BODY.test(body)) {
    throw invalid('check character body must be one or more characters of 0-9 and A-Z');
  }
  let p = 36;
  for (const char of body) {
    let s = (p + CHECK_ALPHABET.indexOf(char)) % 36;
    if (s === 0) s = 36;
    p = (2 * s) % 37;
  }
  return CHECK_ALPHABET.charAt((37 - p) % 36);
}

/**
 * Builds an identifier from its parts, computing the check character.
 * @throws CodedError `INVALID_IDENTIFIER` naming the part that is malformed.
 * @example
 * makeLicenseIdentifier({ typeCode: '11100000000013338W032', issuerCode: '11220000013544541J', serial: '2430599', version: 1 })
 * // '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F'
 */
export function makeLicenseIdentifier(parts: LicenseIdentifierParts): string {
  checkParts(parts);
  const segments = [parts.typeCode, parts.issuerCode, parts.serial, versionSegment(parts.version)];
  // The check covers the segments joined without dots and without the root.
  const check = mod3736CheckCharacter(segments.join(''));
  return [IDENTIFIER_ROOT, ...segments, check].join('.');
}

/**
 * Parses and fully validates an identifier: root, segment count, each segment's shape, version
 * not `000`, check character. No trimming, no case folding.
 * @throws CodedError `INVALID_IDENTIFIER` saying which part is wrong and why.
 */
export function parseLicenseIdentifier(id: string): LicenseIdentifierParts {
  if (typeof id !== 'string') throw invalid('identifier must be a string');
  if (id.startsWith(`${TYPO_ROOT}.`)) {
    throw invalid(`root ${TYPO_ROOT} is a known typo: the root is ${IDENTIFIER_ROOT}`);
  }
  if (!id.startsWith(`${IDENTIFIER_ROOT}.`)) throw invalid(`root must be ${IDENTIFIER_ROOT}`);
  const segments = id.slice(IDENTIFIER_ROOT.length + 1).split('.');
  if (segments.length !== 5) {
    throw invalid(
      `expected 5 segments after the root (type code, issuer code, serial, version, check), got ${segments.length}`,
    );
  }
  const [typeCode, issuerCode, serial, versionText, check] = segments as [string, string, string, string, string];
  checkCodes(typeCode, issuerCode, serial);
  if (!VERSION.test(versionText)) throw invalid(`version ${JSON.stringify(versionText)} must be 3 digits`);
  if (versionText === '000') throw invalid('version 000 does not exist: versions start at 001');
  if (!CHECK_CHAR.test(check)) {
    throw shapeError('check character', check, 'one character of 0-9 and A-Z', (v) => CHECK_CHAR.test(v));
  }
  const expected = mod3736CheckCharacter(typeCode + issuerCode + serial + versionText);
  if (check !== expected) throw invalid(`check character is ${check}, expected ${expected}`);
  return { typeCode, issuerCode, serial, version: Number(versionText) };
}

/** True when `id` is a well-formed identifier with a correct check character. */
export function isLicenseIdentifier(id: string): boolean {
  try {
    parseLicenseIdentifier(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * The identifier of the next version of the same license (renewal, change, correction):
 * same type, issuer and serial, version + 1, new check character.
 * @throws CodedError `INVALID_IDENTIFIER` when `id` is invalid or already at version 999.
 */
export function nextVersionIdentifier(id: string): string {
  const parts = parseLicenseIdentifier(id);
  if (parts.version >= MAX_VERSION) throw invalid(`version ${MAX_VERSION} is the last one an identifier can carry`);
  return makeLicenseIdentifier({ ...parts, version: parts.version + 1 });
}
