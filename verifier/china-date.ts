/**
 * Today's date as a Chinese service window reads it. License validity dates are calendar dates in
 * China Standard Time (UTC+8, no daylight saving), so a license valid until 2025-03-07 is still
 * valid at 23:00 Beijing time that day, which is 15:00 UTC.
 */

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** `YYYY-MM-DD` of `at` in UTC+8. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}
