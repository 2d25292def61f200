import t from 'tap';
import { AGENCY_A, call, consortium, licenseInput, query, refused, sealInput, submitAt } from './support';

type Seal = { sealId: string; status: string; ownerMsp: string; intervals: Array<{ status: string; from: string; to: string | null }> };
type Check = { registered: boolean; status: string | null; active: boolean; authorized: boolean; withinValidity: boolean };

const iso = (ms: number): string => new Date(ms).toISOString();

t.test('seal lifecycle with state history and point-in-time checks', async (t) => {
  const c = await consortium(t);
  const signer = await c.net.client(AGENCY_A, { name: 'staff-zhang', role: 'issuer' });
  const signerId = c.net.identityId(signer);
  const T0 = Date.parse('2025-06-02T00:00:00Z');
  const H = 3_600_000;
  const input = { ...sealInput('seal-x', T0), validStart: iso(T0), validEnd: iso(T0 + 1000 * H) };

  await refused(t, call(c.portal, 'seal:Apply', input), 'FORBIDDEN', 'a portal applies for no seal');
  await refused(t, call(c.issuerA, 'seal:Apply', { ...input, format: 'PDF' }), 'VALIDATION_FAILED');
  await refused(t, call(c.issuerA, 'seal:Apply', { ...input, validEnd: input.validStart }), 'VALIDATION_FAILED', 'empty validity');
  const applied = await submitAt<Seal>(c.net, c.issuerA, new Date(T0 + 1 * H), 'seal:Apply', input);
  t.match(applied, { status: 'APPLIED', ownerMsp: AGENCY_A });
  await refused(t, call(c.issuerA, 'seal:Apply', input), 'CONFLICT');
  await refused(t, call(c.issuerA, 'seal:Approve', 'seal-x'), 'FORBIDDEN', 'only an admin approves');
  await submitAt(c.net, c.admin, new Date(T0 + 2 * H), 'seal:Approve', 'seal-x');
  await refused(t, call(c.admin, 'seal:Approve', 'seal-x'), 'SEAL_STATE', 'approved twice');
  await refused(t, call(c.issuerB, 'seal:Authorize', { sealId: 'seal-x', subject: signerId, notBefore: iso(T0), notAfter: iso(T0 + 500 * H) }), 'FORBIDDEN', 'another organisation authorises nobody');
  await refused(t, call(c.issuerA, 'seal:Authorize', { sealId: 'seal-x', subject: 'CN=zhang', notBefore: iso(T0), notAfter: iso(T0 + 500 * H) }), 'VALIDATION_FAILED', 'a subject is a ClientIdentity ID');
  await submitAt(c.net, c.issuerA, new Date(T0 + 3 * H), 'seal:Authorize', { sealId: 'seal-x', subject: signerId, notBefore: iso(T0), notAfter: iso(T0 + 500 * H) });
  await submitAt(c.net, c.issuerA, new Date(T0 + 4 * H), 'seal:ChangeStatus', { sealId: 'seal-x', action: 'suspend', reason: 'lost token' });
  await refused(t, call(c.issuerA, 'seal:ChangeStatus', { sealId: 'seal-x', action: 'suspend', reason: 'again' }), 'SEAL_STATE');
  await submitAt(c.net, c.admin, new Date(T0 + 5 * H), 'seal:ChangeStatus', { sealId: 'seal-x', action: 'resume', reason: 'found' });
  await submitAt(c.net, c.issuerA, new Date(T0 + 6 * H), 'seal:RevokeAuthorization', { sealId: 'seal-x', subject: signerId, reason: 'left the agency' });
  await refused(t, submitAt(c.net, c.issuerA, new Date(T0 + 6.5 * H), 'seal:RevokeAuthorization', { sealId: 'seal-x', subject: signerId, reason: 'again' }), 'CONFLICT');
  const cancelled = await submitAt<Seal>(c.net, c.issuerA, new Date(T0 + 7 * H), 'seal:ChangeStatus', { sealId: 'seal-x', action: 'cancel', reason: '注销' });
  t.same(cancelled.intervals.map((i) => i.status), ['APPLIED', 'ACTIVE', 'SUSPENDED', 'ACTIVE', 'CANCELLED'], 'append-only state history');
  t.same(cancelled.intervals.map((i) => i.to), [iso(T0 + 2 * H), iso(T0 + 4 * H), iso(T0 + 5 * H), iso(T0 + 7 * H), null]);
  await refused(t, call(c.issuerA, 'seal:ChangeStatus', { sealId: 'seal-x', action: 'resume', reason: 'x' }), 'SEAL_STATE', 'a cancelled seal stays cancelled');
  await refused(t, call(c.issuerA, 'seal:Authorize', { sealId: 'seal-x', subject: signerId, notBefore: iso(T0), notAfter: iso(T0 + 900 * H) }), 'SEAL_STATE');

  const check = (hours: number, subject = signerId): Promise<Check> => query<Check>(c.verifier, 'seal:CheckSeal', 'seal-x', subject, iso(T0 + hours * H));
  t.match(await check(1.5), { status: 'APPLIED', active: false, authorized: false }, 'applied, not yet approved');
  t.match(await check(2.5), { status: 'ACTIVE', active: true, authorized: false }, 'approved; authorisation recorded only at +3h');
  t.match(await check(3.5), { status: 'ACTIVE', active: true, authorized: true }, 'active and authorised');
  t.match(await check(4.5), { status: 'SUSPENDED', active: false, authorized: true }, 'suspended');
  t.match(await check(5.5), { status: 'ACTIVE', active: true, authorized: true }, 'resumed');
  t.match(await check(6.5), { status: 'ACTIVE', active: true, authorized: false }, 'authorisation revoked');
  t.match(await check(7.5), { status: 'CANCELLED', active: false }, 'cancelled');
  t.match(await check(0.5), { status: null, active: false, registered: true }, 'before application');
  t.match(await query<Check>(c.verifier, 'seal:CheckSeal', 'seal-x', '', iso(T0 + 3.5 * H)), { active: true, authorized: false }, 'the seal alone');
  t.match(await query<Check>(c.verifier, 'seal:CheckSeal', 'no-seal', '', iso(T0)), { registered: false, active: false });
  t.match(await query<Check>(c.verifier, 'seal:CheckSeal', c.sealA, c.net.identityId(c.issuerA), iso(Date.now())), { active: true, authorized: true });
  await refused(t, query(c.verifier, 'seal:CheckSeal', 'seal-x', '', 'yesterday'), 'VALIDATION_FAILED');

  t.equal((await query<Seal[]>(c.auditor, 'seal:ListSealsByOwner', AGENCY_A)).length, 2);
  t.equal((await query<unknown[]>(c.verifier, 'seal:ListAuthorizations', 'seal-x')).length, 1);
  t.equal((await query<unknown[]>(c.verifier, 'seal:GetSealHistory', 'seal-x')).length, 5, 'apply, approve, suspend, resume, cancel');
  await refused(t, query(c.verifier, 'seal:GetSeal', 'nope'), 'NOT_FOUND');
});

t.test('validity window bounds activity; authorisation windows', async (t) => {
  const c = await consortium(t);
  const T0 = Date.parse('2025-06-02T00:00:00Z');
  const H = 3_600_000;
  await submitAt(c.net, c.issuerA, new Date(T0), 'seal:Apply', { ...sealInput('seal-y', T0), validStart: iso(T0), validEnd: iso(T0 + 10 * H) });
  await submitAt(c.net, c.admin, new Date(T0 + H), 'seal:Approve', 'seal-y');
  const subject = c.net.identityId(c.issuerA);
  await submitAt(c.net, c.issuerA, new Date(T0 + H), 'seal:Authorize', { sealId: 'seal-y', subject, notBefore: iso(T0 + 2 * H), notAfter: iso(T0 + 4 * H) });
  await submitAt(c.net, c.issuerA, new Date(T0 + H), 'seal:Authorize', { sealId: 'seal-y', subject, notBefore: iso(T0 + 6 * H), notAfter: iso(T0 + 20 * H) });
  const check = (hours: number): Promise<Check> => query<Check>(c.verifier, 'seal:CheckSeal', 'seal-y', subject, iso(T0 + hours * H));
  t.match(await check(1.5), { active: true, authorized: false });
  t.match(await check(3), { active: true, authorized: true });
  t.match(await check(5), { active: true, authorized: false }, 'between windows');
  t.match(await check(7), { active: true, authorized: true });
  t.match(await check(11), { active: false, withinValidity: false, status: 'ACTIVE', authorized: true }, 'past the seal\'s validity');
  // issuance judges the seal at the issuing transaction's time
  await refused(t, submitAt(c.net, c.issuerA, new Date(T0 + 5 * H), 'license:Issue', { ...licenseInput('4400001'), sealId: 'seal-y' }), 'SEAL_NOT_AUTHORIZED', 'outside the authorisation window');
  const ok = await submitAt<{ identifier: string }>(c.net, c.issuerA, new Date(T0 + 7 * H), 'license:Issue', { ...licenseInput('4400002'), sealId: 'seal-y' });
  t.ok(ok.identifier);
  await refused(t, submitAt(c.net, c.issuerA, new Date(T0 + 11 * H), 'license:Issue', { ...licenseInput('4400003'), sealId: 'seal-y' }), 'SEAL_NOT_AUTHORIZED', 'seal validity over');
});
