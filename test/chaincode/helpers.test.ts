/** Pure helper logic: working days, times, seal judgement, input validation. No ledger. */
import t from 'tap';
import { CodedError } from '../../domain/coded-error';
import { addWorkingDays, checkDate, isChinaWeekend, normaliseTime, parseTime, timestampMillis } from '../../chaincode/clock';
import type { SealAuthorizationRecord, SealRecord } from '../../chaincode/records';
import { judgeSeal, sealStatusAt, windowCovers } from '../../chaincode/seal-rules';
import { inputParser, object, S, sortedSet } from '../../chaincode/validation';

const ms = (iso: string): number => Date.parse(iso);
const iso = (n: number): string => new Date(n).toISOString();

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof CodedError ? error.code : `not coded: ${String(error)}`;
  }
  return undefined;
}

t.test('working days: UTC+8 calendar, weekends skipped, same time of day', async (t) => {
  // [from (UTC), n, expected (UTC)]
  const vectors: Array<[string, number, string, string]> = [
    ['2025-03-10T01:00:00.000Z', 5, '2025-03-17T01:00:00.000Z', 'Monday 09:00 CST → next Monday'],
    ['2025-03-07T07:00:00.000Z', 5, '2025-03-14T07:00:00.000Z', 'Friday → next Friday'],
    ['2025-03-07T07:00:00.000Z', 1, '2025-03-10T07:00:00.000Z', 'Friday + 1 → Monday'],
    ['2025-03-08T02:00:00.000Z', 1, '2025-03-10T02:00:00.000Z', 'Saturday + 1 → Monday'],
    ['2025-03-08T02:00:00.000Z', 5, '2025-03-14T02:00:00.000Z', 'Saturday + 5 → Friday'],
    ['2025-03-09T02:00:00.000Z', 5, '2025-03-14T02:00:00.000Z', 'Sunday + 5 → Friday'],
    ['2025-03-09T17:00:00.000Z', 5, '2025-03-16T17:00:00.000Z', 'Sunday 17:00 UTC is Monday 01:00 CST → next Monday'],
    ['2025-03-07T16:30:00.000Z', 5, '2025-03-13T16:30:00.000Z', 'Friday 16:30 UTC is Saturday 00:30 CST → Friday 00:30 CST'],
    ['2025-03-07T15:59:59.999Z', 5, '2025-03-14T15:59:59.999Z', 'Friday 23:59:59.999 CST'],
    ['2025-03-10T01:00:00.000Z', 10, '2025-03-24T01:00:00.000Z', 'ten working days = two weeks'],
    ['2025-03-10T01:00:00.000Z', 0, '2025-03-10T01:00:00.000Z', 'zero'],
    ['2024-02-26T01:00:00.000Z', 5, '2024-03-04T01:00:00.000Z', 'across a leap day'],
    ['2025-12-29T01:00:00.000Z', 5, '2026-01-05T01:00:00.000Z', 'across a year end (holidays out of scope)'],
    ['1970-01-01T00:00:00.000Z', 1, '1970-01-02T00:00:00.000Z', 'epoch Thursday'],
  ];
  for (const [from, n, want, name] of vectors) t.equal(iso(addWorkingDays(ms(from), n)), want, name);
  t.ok(isChinaWeekend(ms('2025-03-07T16:30:00Z')), 'Friday 16:30 UTC is a Saturday in China');
  t.notOk(isChinaWeekend(ms('2025-03-09T17:00:00Z')), 'Sunday 17:00 UTC is a Monday in China');
  // property: the due instant is n weekdays later, on a weekday, at the same time of day
  for (let i = 0; i < 500; i++) {
    const from = ms('2024-01-01T00:00:00Z') + ((i * 7_919_999_731) % (3 * 365 * 86_400_000));
    for (const n of [1, 5, 10]) {
      const due = addWorkingDays(from, n);
      t.equal((due - from) % 86_400_000, 0);
      t.notOk(isChinaWeekend(due));
      let count = 0;
      for (let d = from + 86_400_000; d <= due; d += 86_400_000) if (!isChinaWeekend(d)) count++;
      if (count !== n) t.fail(`${iso(from)} + ${n}: ${count} weekdays`);
    }
  }
  t.throws(() => addWorkingDays(0, -1));
});

t.test('times and dates', async (t) => {
  t.equal(parseTime('2025-03-07T07:00:00Z', 'x'), ms('2025-03-07T07:00:00Z'));
  t.equal(normaliseTime('2025-03-07T07:00:00.123456789Z', 'x'), '2025-03-07T07:00:00.123Z');
  t.equal(normaliseTime('2024-02-29T00:00:00Z', 'x'), '2024-02-29T00:00:00.000Z');
  for (const bad of ['2025-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2025-03-07T07:00:00+08:00', '2025-03-07 07:00:00Z', '2025-03-07T24:00:00Z', '2025-03-07T23:59:60Z', '']) {
    t.equal(code(() => parseTime(bad, 'x')), 'VALIDATION_FAILED', `refuses ${JSON.stringify(bad)}`);
  }
  t.equal(checkDate('2024-02-29', 'd'), '2024-02-29');
  for (const bad of ['2023-02-29', '2025-13-01', '2025-1-1', '20250101']) t.equal(code(() => checkDate(bad, 'd')), 'VALIDATION_FAILED', bad);
  t.equal(timestampMillis({ seconds: 1741330800, nanos: 999_999_999 }), 1741330800999, 'nanoseconds truncate');
  t.equal(timestampMillis({ seconds: { toString: () => '1741330800' }, nanos: 0 }), 1741330800000, 'a Long');
});

t.test('seal judgement at a point in time', async (t) => {
  const seal: SealRecord = {
    docType: 'seal',
    sealId: 's',
    ownerMsp: 'A',
    name: 'n',
    kind: 'k',
    format: 'PKCS7',
    certFingerprints: [],
    sealDigest: 'sm3:00',
    validStart: '2025-01-01T00:00:00.000Z',
    validEnd: '2026-01-01T00:00:00.000Z',
    status: 'CANCELLED',
    intervals: [
      { status: 'APPLIED', from: '2025-01-01T00:00:00.000Z', to: '2025-01-02T00:00:00.000Z', txId: '1', reason: null },
      { status: 'ACTIVE', from: '2025-01-02T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z', txId: '2', reason: null },
      { status: 'SUSPENDED', from: '2025-03-01T00:00:00.000Z', to: '2025-03-02T00:00:00.000Z', txId: '3', reason: null },
      { status: 'ACTIVE', from: '2025-03-02T00:00:00.000Z', to: '2025-06-01T00:00:00.000Z', txId: '4', reason: null },
      { status: 'CANCELLED', from: '2025-06-01T00:00:00.000Z', to: null, txId: '5', reason: null },
    ],
    appliedAt: '2025-01-01T00:00:00.000Z',
    approvedAt: '2025-01-02T00:00:00.000Z',
    lastChange: { txId: '5', at: '', actorMsp: 'A', actorId: 'x', operation: 'cancel', reason: null },
  };
  t.equal(sealStatusAt(seal, ms('2024-12-31T23:59:59Z')), null);
  t.equal(sealStatusAt(seal, ms('2025-01-02T00:00:00Z')), 'ACTIVE', 'intervals are [from, to)');
  t.equal(sealStatusAt(seal, ms('2025-03-01T12:00:00Z')), 'SUSPENDED');
  t.equal(sealStatusAt(seal, ms('2030-01-01T00:00:00Z')), 'CANCELLED');
  const w = { notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2025-12-01T00:00:00.000Z', grantedAt: '2025-02-01T00:00:00.000Z', grantedBy: 'x', txId: 't', revokedAt: '2025-04-01T00:00:00.000Z', revokeReason: 'r' };
  t.notOk(windowCovers(w, ms('2025-01-15T00:00:00Z')), 'not before it was granted, whatever notBefore says');
  t.ok(windowCovers(w, ms('2025-02-01T00:00:00Z')));
  t.notOk(windowCovers(w, ms('2025-04-01T00:00:00Z')), 'not from its revocation on');
  const auth: SealAuthorizationRecord = { docType: 'sealAuthorization', sealId: 's', subject: 'x509::a', windows: [w] };
  t.match(judgeSeal('s', seal, auth, 'x509::a', ms('2025-02-15T00:00:00Z')), { active: true, authorized: true, status: 'ACTIVE' });
  t.match(judgeSeal('s', seal, auth, 'x509::a', ms('2025-03-01T01:00:00Z')), { active: false, authorized: true, status: 'SUSPENDED' });
  t.match(judgeSeal('s', undefined, undefined, null, 0), { registered: false, active: false, authorized: false, at: '1970-01-01T00:00:00.000Z' });
});

t.test('input schemas refuse, never strip or coerce', async (t) => {
  const parse = inputParser<{ id: string; n?: number; when: string }>(object({ id: S.id, n: { type: 'integer', minimum: 1 }, when: S.time }, ['n']));
  t.same(parse('{"id":"a-1","when":"2025-01-01T00:00:00Z"}'), { id: 'a-1', when: '2025-01-01T00:00:00Z' });
  for (const bad of [
    '{"id":"a-1","when":"2025-01-01T00:00:00Z","extra":1}',
    '{"id":"a-1","when":"2025-01-01T00:00:00Z","n":"2"}',
    '{"id":"a-1","when":"2025-01-01T00:00:00Z","n":0}',
    '{"id":"a 1","when":"2025-01-01T00:00:00Z"}',
    '{"when":"2025-01-01T00:00:00Z"}',
    '["a-1"]',
    'null',
    'not json',
    '',
  ]) {
    t.equal(code(() => parse(bad)), 'VALIDATION_FAILED', `refuses ${bad}`);
  }
  const text = inputParser<{ s: string }>(object({ s: S.text(3) }));
  t.equal(code(() => text('{"s":"   "}')), 'VALIDATION_FAILED', 'blank text');
  t.equal(code(() => text('{"s":"a\\u0000"}')), 'VALIDATION_FAILED', 'NUL');
  t.same(text('{"s":"用证事"}'), { s: '用证事' }, 'length counts characters');
  t.equal(code(() => text('{"s":"用证事由"}')), 'VALIDATION_FAILED', 'over the limit');
  try {
    parse('{"id":"a-1","when":"2025-01-01T00:00:00Z","extra":1}');
  } catch (error) {
    t.match((error as Error).message, /extra/, 'the message names the unknown field');
  }
  t.same(sortedSet(['b', '\u{1F600}', '\uFFFD', 'a', 'b']), ['a', 'b', '\uFFFD', '\u{1F600}'], 'sets sorted by UTF-8 bytes');
});
