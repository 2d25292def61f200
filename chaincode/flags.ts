/**
 * Dispute flags (异议标注): an accepted, unresolved dispute puts a `flag` key beside its subject,
 * and every read of a license or material shows the open flags. A separate key, so that flagging
 * never rewrites (or conflicts with) the issuer's own record.
 */
import type { Context } from 'fabric-contract-api';
import { OBJECT, scanIds } from './state';

export type SubjectKind = 'license' | 'material';

/** Ids of the open disputes flagging a subject, in key order. */
export function openFlags(ctx: Context, kind: SubjectKind, id: string): Promise<string[]> {
  return scanIds(ctx, OBJECT.flag, [kind, id]);
}
