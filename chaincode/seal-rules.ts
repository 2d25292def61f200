/**
 * Judging a seal at a point in time. Verification judges a signature by the seal's state at
 * signing time, so a seal keeps its whole state history as append-only intervals `[from, to)`, and
 * an identity's authorisations as windows. Pure functions plus the one ledger check issuance uses.
 */
import type { Context } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { isoOf } from './clock';
import type { AuthorizationWindow, SealAuthorizationRecord, SealCheck, SealRecord, SealStatus } from './records';
import { OBJECT, getRecord } from './state';

const ms = (iso: string): number => Date.parse(iso);

/** The seal's state at `at` (null before it was applied). */
export function sealStatusAt(seal: SealRecord, at: number): SealStatus | null {
  for (const interval of seal.intervals) {
    if (ms(interval.from) <= at && (interval.to === null || at < ms(interval.to))) return interval.status;
  }
  return null;
}

/** Within the seal's own validity window `[validStart, validEnd)`. */
export function withinValidity(seal: SealRecord, at: number): boolean {
  return ms(seal.validStart) <= at && at < ms(seal.validEnd);
}

/**
 * A window authorises signing at `at` when `max(notBefore, grantedAt) <= at < notAfter` and it was
 * not revoked at or before `at`: an authorisation recorded later never covers earlier signatures.
 */
export function windowCovers(window: AuthorizationWindow, at: number): boolean {
  const from = Math.max(ms(window.notBefore), ms(window.grantedAt));
  if (at < from || at >= ms(window.notAfter)) return false;
  return window.revokedAt === null || at < ms(window.revokedAt);
}

export function authorizedAt(auth: SealAuthorizationRecord | undefined, at: number): boolean {
  return !!auth && auth.windows.some((w) => windowCovers(w, at));
}

export function judgeSeal(
  sealId: string,
  seal: SealRecord | undefined,
  auth: SealAuthorizationRecord | undefined,
  subject: string | null,
  at: number,
): SealCheck {
  const status = seal ? sealStatusAt(seal, at) : null;
  const valid = seal ? withinValidity(seal, at) : false;
  return {
    sealId,
    registered: !!seal,
    ownerMsp: seal?.ownerMsp ?? null,
    at: isoOf(at),
    status,
    withinValidity: valid,
    active: status === 'ACTIVE' && valid,
    subject,
    authorized: subject !== null && authorizedAt(auth, at),
  };
}

/**
 * Refuses (`SEAL_NOT_AUTHORIZED`) unless `sealId` is a seal of `ownerMsp`, ACTIVE and valid at
 * `at`, and `subject` is authorised to sign with it at `at`.
 */
export async function assertSealUsable(ctx: Context, sealId: string, ownerMsp: string, subject: string, at: number): Promise<void> {
  const seal = await getRecord<SealRecord>(ctx, OBJECT.seal, [sealId]);
  if (!seal) throw new CodedError('SEAL_NOT_AUTHORIZED', `seal ${sealId} is not registered`);
  if (seal.ownerMsp !== ownerMsp) throw new CodedError('SEAL_NOT_AUTHORIZED', `seal ${sealId} is not a seal of ${ownerMsp}`);
  const auth = await getRecord<SealAuthorizationRecord>(ctx, OBJECT.sealAuth, [sealId, subject]);
  const check = judgeSeal(sealId, seal, auth, subject, at);
  if (!check.active) {
    throw new CodedError(
      'SEAL_NOT_AUTHORIZED',
      `seal ${sealId} is not active (${check.status ?? 'none'}${check.withinValidity ? '' : ', outside its validity'})`,
    );
  }
  if (!check.authorized) {
    throw new CodedError('SEAL_NOT_AUTHORIZED', `the caller is not authorised to sign with seal ${sealId}`);
  }
}
