/**
 * The one registry of license verification outcomes: the six checks a verification reports, and
 * every code a check can carry, each with a short Chinese and English title. Codes never change
 * (clients and the page switch on them); messages are free to improve.
 *
 * Distinct causes get distinct codes, because "tampered" and "not issued" call for different
 * actions at a service window — OpenAttestation's users' most common complaint was one message for both.
 */

/** The checks of a license verification, in the order they are reported (api.md, Verifier). */
export const CHECK_NAMES = ['integrity', 'status', 'validity', 'issuer', 'seal', 'dispute'] as const;

/** One of {@link CHECK_NAMES}. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** Code → titles. `OK` is the only passing code; `NOT_CHECKED` marks a check that could not run. */
export const CHECK_CODES = {
  OK: { zh: '通过', en: 'Passed' },
  NOT_CHECKED: { zh: '未核验', en: 'Not checked' },
  NOT_ON_LEDGER: { zh: '链上无此证照', en: 'Not on the ledger' },
  DIGEST_MISMATCH: { zh: '内容已被改动', en: 'Content altered' },
  SUSPENDED: { zh: '已暂扣', en: 'Suspended' },
  REVOKED: { zh: '已撤销或吊销', en: 'Revoked' },
  CANCELLED: { zh: '已注销', en: 'Cancelled' },
  EXPIRED: { zh: '已失效', en: 'Expired' },
  TRANSFERRED_OUT: { zh: '已办理转出', en: 'Transferred out' },
  STATUS_NOT_VALID: { zh: '状态非有效', en: 'Not in a valid state' },
  SUPERSEDED: { zh: '已被新版本取代', en: 'Superseded' },
  NOT_YET_VALID: { zh: '尚未生效', en: 'Not yet valid' },
  ISSUER_NOT_AUTHORIZED: { zh: '颁发机构不符或未获授权', en: 'Issuer not authorised' },
  SEAL_INVALID: { zh: '电子印章无效', en: 'Seal invalid' },
  SEAL_NOT_ACTIVE_AT_SIGNING: { zh: '签章时印章不在有效状态', en: 'Seal not active at signing time' },
  DISPUTED: { zh: '存在异议', en: 'Disputed' },
} as const satisfies Record<string, { zh: string; en: string }>;

/** A stable check code (a key of {@link CHECK_CODES}). */
export type CheckCode = keyof typeof CHECK_CODES;

/** One check's outcome, in both languages. */
export interface Check {
  readonly name: CheckName;
  readonly ok: boolean;
  readonly code: CheckCode;
  /** Chinese (the primary language of the service window). */
  readonly message: string;
  readonly messageEn: string;
  /** Facts behind the outcome (which identifier superseded it, the dates compared, …). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Builds a check; `ok` follows from the code. */
export function check(name: CheckName, code: CheckCode, message: string, messageEn: string, detail?: Record<string, unknown>): Check {
  return { name, ok: code === 'OK', code, message, messageEn, ...(detail ? { detail } : {}) };
}

/** A check that could not run because an earlier one decided the outcome. */
export function notChecked(name: CheckName, why: string, whyEn: string): Check {
  return check(name, 'NOT_CHECKED', `未核验：${why}`, `Not checked: ${whyEn}`);
}
