import t from 'tap';
import { LICENSE_STATUSES, STATUS_ACTIONS, canTransition, isLicenseStatus, isStatusAction } from '../../domain/license-status';

t.test('state codes and names', async (t) => {
  t.same(Object.keys(LICENSE_STATUSES).sort(), ['01', '02', '03', '04', '05', '06', '07', '99']);
  t.equal(LICENSE_STATUSES['02'].zh, '暂扣');
  t.equal(LICENSE_STATUSES['07'].en, 'revoked as penalty');
  t.ok(isLicenseStatus('99'));
  t.notOk(isLicenseStatus('08'));
  t.notOk(isLicenseStatus('toString'));
});

t.test('actions lead to their states', async (t) => {
  t.same(STATUS_ACTIONS, {
    suspend: '02',
    resume: '01',
    revoke: '03',
    'revoke-penalty': '07',
    cancel: '04',
    expire: '05',
    'transfer-out': '06',
  });
  t.ok(Object.isFrozen(STATUS_ACTIONS));
  t.ok(isStatusAction('transfer-out'));
  t.notOk(isStatusAction('constructor'));
});

t.test('the full transition table', async (t) => {
  const allowed: Record<string, string[]> = {
    '01': ['suspend', 'revoke', 'revoke-penalty', 'cancel', 'expire', 'transfer-out'],
    '02': ['resume', 'revoke', 'revoke-penalty', 'cancel', 'expire', 'transfer-out'],
  };
  for (const from of [...Object.keys(LICENSE_STATUSES), '00', '', 'hasOwnProperty']) {
    for (const action of [...Object.keys(STATUS_ACTIONS), 'renew', '__proto__', '']) {
      t.equal(canTransition(from, action), Object.hasOwn(allowed, from) && (allowed[from] as string[]).includes(action), `${from} --${action}-->`);
    }
  }
});
