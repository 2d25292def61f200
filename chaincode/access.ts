/**
 * Who is calling. A caller's role is the `lc.role` attribute of its certificate, and it counts only
 * if the caller's organisation (its MSP) is registered and holds that role: an agency's own CA can
 * mint any attribute, but it cannot make its organisation an admin. Organisations come from the
 * registry on the ledger, never from arguments.
 */
import type { Context } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { txTime } from './clock';
import type { ChangeInfo, OrganisationRecord } from './records';
import { OBJECT, getRecord } from './state';

export const ROLES = ['admin', 'issuer', 'verifier', 'portal', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_ATTRIBUTE = 'lc.role';

export interface Caller {
  readonly mspId: string;
  /** `ClientIdentity.getID()`: `x509::<subject>::<issuer>`. */
  readonly id: string;
  readonly role: Role;
  readonly org: OrganisationRecord;
}

export function forbidden(message: string): CodedError {
  return new CodedError('FORBIDDEN', message);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The caller's MSP, identity and claimed role attribute, without consulting the registry. */
export function identity(ctx: Context): { mspId: string; id: string; claimedRole: string | null } {
  return {
    mspId: ctx.clientIdentity.getMSPID(),
    id: ctx.clientIdentity.getID(),
    claimedRole: ctx.clientIdentity.getAttributeValue(ROLE_ATTRIBUTE),
  };
}

/**
 * The caller, if its role is one of `allowed` and its organisation is registered and holds that
 * role; otherwise `FORBIDDEN`. `action` names what was attempted, for the message.
 */
export async function authorize(ctx: Context, allowed: readonly Role[], action: string): Promise<Caller> {
  const { mspId, id, claimedRole } = identity(ctx);
  if (!isRole(claimedRole)) throw forbidden(`the caller has no valid ${ROLE_ATTRIBUTE} attribute`);
  if (!allowed.includes(claimedRole)) throw forbidden(`role ${claimedRole} may not ${action}`);
  const org = await getRecord<OrganisationRecord>(ctx, OBJECT.org, [mspId]);
  if (!org) throw forbidden(`organisation ${mspId} is not registered`);
  if (!org.roles.includes(claimedRole)) {
    throw forbidden(`organisation ${mspId} does not hold the ${claimedRole} role`);
  }
  return { mspId, id, role: claimedRole, org };
}

/** Any registered caller (every role): for non-personal reads. */
export function anyRole(ctx: Context, action: string): Promise<Caller> {
  return authorize(ctx, ROLES, action);
}

/**
 * Whether the caller may see holder/owner references on a record kept by `keepers` (the issuing
 * or custodian organisations): admin and portal always, an issuer or portal of a keeping
 * organisation too. Verifiers and auditors never (auditors read everything that is not personal).
 */
export function maySeePersonal(caller: Caller, keepers: readonly string[]): boolean {
  if (caller.role === 'admin' || caller.role === 'portal') return true;
  return caller.role === 'issuer' && keepers.includes(caller.mspId);
}

/** The change stamp a write carries. */
export function change(ctx: Context, caller: { mspId: string; id: string }, operation: string, reason: string | null = null): ChangeInfo {
  return {
    txId: ctx.stub.getTxID(),
    at: txTime(ctx).iso,
    actorMsp: caller.mspId,
    actorId: caller.id,
    operation,
    reason,
  };
}
