/**
 * Time in the chaincode: only the transaction timestamp (the client's proposal time, identical on
 * every endorser), never the local clock. Plus the working-day arithmetic of dispute deadlines.
 */
import type { Context } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';

const DAY_MS = 86_400_000;

/** China Standard Time (UTC+8, no daylight saving): the calendar working days are counted in. */
export const CHINA_OFFSET_MS = 8 * 3_600_000;

export interface TxTime {
  /** Milliseconds since the epoch (the timestamp's nanoseconds truncated to milliseconds). */
  readonly ms: number;
  /** RFC 3339 UTC with milliseconds, e.g. `2025-03-07T02:00:00.000Z`: the form every stored time takes. */
  readonly iso: string;
}

/** `seconds` is a `Long` from fabric-shim's stub, a number from simpler stubs. */
export function timestampMillis(ts: { seconds: unknown; nanos: number }): number {
  const seconds = Number(String(ts.seconds));
  const nanos = Number(ts.nanos ?? 0);
  if (!Number.isSafeInteger(seconds) || !Number.isFinite(nanos)) throw new Error('malformed timestamp');
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** The transaction's own time. */
export function txTime(ctx: Context): TxTime {
  const ms = timestampMillis(ctx.stub.getTxTimestamp() as unknown as { seconds: unknown; nanos: number });
  return { ms, iso: isoOf(ms) };
}

/** JSON Schema pattern of an RFC 3339 UTC time (`Z` only; fraction up to nanoseconds). */
export const TIME_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$';
/** JSON Schema pattern of a calendar date. */
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

/**
 * Parses an RFC 3339 UTC time into epoch milliseconds; refuses impossible dates (Feb 30) and
 * leap seconds, which `Date.parse` would silently roll over.
 */
export function parseTime(text: string, field: string): number {
  if (typeof text !== 'string' || !new RegExp(TIME_PATTERN).test(text)) {
    throw new CodedError('VALIDATION_FAILED', `${field} must be an RFC 3339 UTC time (…Z)`);
  }
  const ms = Date.parse(text.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  if (!Number.isFinite(ms) || isoOf(ms).slice(0, 19) !== text.slice(0, 19)) {
    throw new CodedError('VALIDATION_FAILED', `${field} is not a real time: ${text}`);
  }
  return ms;
}

/** Normalises an RFC 3339 UTC time to the stored form (milliseconds, `Z`). */
export function normaliseTime(text: string, field: string): string {
  return isoOf(parseTime(text, field));
}

/** Checks a `YYYY-MM-DD` calendar date. */
export function checkDate(text: string, field: string): string {
  if (typeof text !== 'string' || !new RegExp(DATE_PATTERN).test(text)) {
    throw new CodedError('VALIDATION_FAILED', `${field} must be a date YYYY-MM-DD`);
  }
  const ms = Date.parse(`${text}T00:00:00.000Z`);
  if (!Number.isFinite(ms) || isoOf(ms).slice(0, 10) !== text) {
    throw new CodedError('VALIDATION_FAILED', `${field} is not a real date: ${text}`);
  }
  return text;
}

/** The UTC+8 calendar day number of an instant (days since 1970-01-01 in China Standard Time). */
function chinaDay(ms: number): number {
  return Math.floor((ms + CHINA_OFFSET_MS) / DAY_MS);
}

/** Day of week of a China day number: 0 Sunday … 6 Saturday (1970-01-01 was a Thursday). */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** True when the instant falls on a Saturday or Sunday in UTC+8. */
export function isChinaWeekend(ms: number): boolean {
  const w = weekday(chinaDay(ms));
  return w === 0 || w === 6;
}

/**
 * "n working days from `fromMs`", as dispute deadlines use it:
 *
 *   the same UTC+8 time of day as `fromMs`, on the n-th weekday (Monday–Friday, UTC+8 calendar)
 *   strictly after `fromMs`'s UTC+8 calendar day.
 *
 * So a dispute accepted on Monday 10:00 (UTC+8) with 5 working days is due the next Monday 10:00;
 * accepted Friday 16:00 → due the following Friday 16:00; accepted on a Saturday or Sunday → counting
 * starts with the Monday, due that Friday at the acceptance's time of day. The day of acceptance
 * never counts. Statutory holidays and the weekend working days that make up for them (调休) are out
 * of scope: they are not deterministic from the timestamp alone and would need a calendar on the
 * ledger; every Monday–Friday counts as a working day.
 */
export function addWorkingDays(fromMs: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('working days must be a non-negative integer');
  const start = chinaDay(fromMs);
  let day = start;
  let counted = 0;
  while (counted < n) {
    day += 1;
    const w = weekday(day);
    if (w !== 0 && w !== 6) counted += 1;
  }
  return fromMs + (day - start) * DAY_MS;
}
