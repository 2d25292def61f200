/**
 * Holder and organisation codes (standards.md §2): the code types of GB/T 36903 附录A, the
 * unified social credit code (统一社会信用代码, GB 32100-2015) and the citizen identity number
 * (公民身份号码, GB 11643-1999).
 *
 * Deterministic on purpose (the chaincode calls it): no clock, no locale, ASCII-only case folding.
 */
import { CodedError } from './coded-error';

/** Holder code type (持证主体代码类型代码, GB/T 36903 附录A) → Chinese name. */
export const HOLDER_CODE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '001': '统一社会信用代码',
  '099': '其他法人或其他组织有效证件代码',
  '111': '公民身份号码',
  '114': '军官证',
  '115': '武警警官证',
  '118': '士兵证',
  '119': '武警士兵证',
  '120': '军队文职人员证',
  '122': '武警文职人员证',
  '411': '外交护照',
  '412': '公务护照',
  '413': '公务普通护照',
  '414': '普通护照',
  '511': '台湾居民来往大陆通行证',
  '516': '港澳居民来往内地通行证',
  '999': '其他自然人有效证件代码',
});

/** The result of {@link checkHolderCode}: the code as it must be stored and hashed, plus warnings. */
export interface HolderCodeCheck {
  codeType: string;
  /** Normalised: trimmed, ASCII letters upper-cased. */
  code: string;
  /** Non-fatal findings (e.g. a USCC whose check character fails, as some early pilot codes do). */
  warnings: string[];
}

/** Code type of the unified social credit code. */
const USCC_TYPE = '001';
/** Code type of the citizen identity number. */
const CITIZEN_ID_TYPE = '111';
/** Longest code accepted for the free-form code types (passports, other certificates). */
const OTHER_CODE_MAX_LENGTH = 64;

/** The 31 USCC symbols (no I, O, S, V, Z); a symbol's index is its value. */
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const USCC_SHAPE = /^[0-9A-HJ-NP-RTUWXY]{18}$/;
const USCC_BODY = /^[0-9A-HJ-NP-RTUWXY]{17}$/;

const CITIZEN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CITIZEN_ID_CHECKS = '10X98765432';
const CITIZEN_ID_SHAPE = /^\d{17}[0-9X]$/;
const CITIZEN_ID_BODY = /^\d{17}$/;
/** Birth years before this are a corrupted number, not an old holder. */
const EARLIEST_BIRTH_YEAR = 1800;

/** Whitespace, control and format characters, and lone surrogates: never part of a code. */
const NON_PRINTABLE = /[\s\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}\uD800-\uDFFF]/u;

function invalid(message: string): CodedError {
  return new CodedError('INVALID_HOLDER_CODE', message);
}

/** Trims and upper-cases ASCII letters only: `toUpperCase` follows the Unicode tables of the running
 * Node, and the normalised code feeds holder references that every peer must compute alike. */
function normaliseCode(code: string): string {
  return code.trim().replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/** True when `code` has the USCC shape: 18 symbols of the USCC alphabet (check character not verified). */
export function isUsccShape(code: string): boolean {
  return typeof code === 'string' && USCC_SHAPE.test(code);
}

/**
 * The USCC check character (GB 32100-2015) for the first 17 symbols.
 * @throws CodedError `INVALID_HOLDER_CODE` when `first17` is not 17 USCC symbols.
 * @example usccCheckCharacter('11220000013544541') // 'J'
 */
export function usccCheckCharacter(first17: string): string {
  if (typeof first17 !== 'string' || !USCC_BODY.test(first17)) {
    throw invalid('USCC body must be 17 symbols of 0-9 and A-Y without I, O, S, V, Z');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += USCC_ALPHABET.indexOf(first17.charAt(i)) * (USCC_WEIGHTS[i] as number);
  }
  // The outer `mod 31` matters: a sum divisible by 31 gives check '0', not index 31.
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31);
}

/**
 * The citizen identity number check character (ISO 7064 MOD 11-2) for the first 17 digits.
 * @throws CodedError `INVALID_HOLDER_CODE` when `first17` is not 17 digits.
 * @example citizenIdCheckCharacter('11010519491231002') // 'X'
 */
export function citizenIdCheckCharacter(first17: string): string {
  if (typeof first17 !== 'string' || !CITIZEN_ID_BODY.test(first17)) {
    throw invalid('citizen identity number body must be 17 digits');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(first17.charAt(i)) * (CITIZEN_ID_WEIGHTS[i] as number);
  }
  return CITIZEN_ID_CHECKS.charAt(sum % 11);
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

function checkCitizenId(code: string): string[] {
  if (!CITIZEN_ID_SHAPE.test(code)) {
    const hint = /^\d{15}$/.test(code) ? ' (15-digit first-generation numbers are not accepted)' : '';
    throw invalid(`citizen identity number must be 17 digits and a check character [0-9X]${hint}`);
  }
  // Positions 7–14 are the birth date; no clock here, so only the calendar is checked, not the future.
  const year = Number(code.slice(6, 10));
  const month = Number(code.slice(10, 12));
  const day = Number(code.slice(12, 14));
  if (year < EARLIEST_BIRTH_YEAR || !isCalendarDate(year, month, day)) {
    throw invalid(`citizen identity number has a malformed birth date ${code.slice(6, 14)}`);
  }
  const expected = citizenIdCheckCharacter(code.slice(0, 17));
  if (code.charAt(17) !== expected) {
    throw invalid(`citizen identity number check character is ${code.charAt(17)}, expected ${expected}`);
  }
  return [];
}

function checkUscc(code: string): string[] {
  if (code.length !== 18) throw invalid(`USCC must be 18 characters, got ${code.length}`);
  if (!USCC_SHAPE.test(code)) {
    throw invalid('USCC may only contain 0-9 and A-Y without I, O, S, V, Z');
  }
  const expected = usccCheckCharacter(code.slice(0, 17));
  if (code.charAt(17) === expected) return [];
  // Some early pilot codes fail the check yet are legal (standards.md §2): accept, but say so.
  return [`USCC check character is ${code.charAt(17)}, expected ${expected}`];
}

function checkOtherCode(code: string): string[] {
  const length = [...code].length;
  if (length > OTHER_CODE_MAX_LENGTH) {
    throw invalid(`code must be at most ${OTHER_CODE_MAX_LENGTH} characters, got ${length}`);
  }
  if (NON_PRINTABLE.test(code)) {
    throw invalid('code must not contain whitespace or non-printable characters');
  }
  return [];
}

/**
 * Validates and normalises a holder code for its code type.
 *
 * - `111` 公民身份号码: strict (17 digits, calendar-valid birth date, MOD 11-2 check character).
 * - `001` USCC: a malformed code is an error; a wrong check character is only a warning.
 * - other known types: non-empty, at most 64 characters, printable, no whitespace.
 *
 * @throws CodedError `INVALID_HOLDER_CODE` for an unknown code type or an invalid code.
 * @example checkHolderCode('111', ' 11010519491231002x ') // { codeType: '111', code: '11010519491231002X', warnings: [] }
 */
export function checkHolderCode(codeType: string, code: string): HolderCodeCheck {
  if (typeof codeType !== 'string' || !Object.hasOwn(HOLDER_CODE_TYPES, codeType)) {
    throw invalid(`unknown holder code type ${JSON.stringify(codeType)}`);
  }
  if (typeof code !== 'string') throw invalid('code must be a string');
  const normalised = normaliseCode(code);
  if (normalised === '') throw invalid('code is empty');
  let warnings: string[];
  if (codeType === CITIZEN_ID_TYPE) warnings = checkCitizenId(normalised);
  else if (codeType === USCC_TYPE) warnings = checkUscc(normalised);
  else warnings = checkOtherCode(normalised);
  return { codeType, code: normalised, warnings };
}
