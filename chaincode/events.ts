/**
 * Chaincode events: one per state-changing transaction (Fabric keeps only the last `setEvent`),
 * named after what happened, with a small canonical-JSON payload of ids — never personal data.
 * Verifiers invalidate their caches from these.
 */
import type { Context } from 'fabric-contract-api';
import { canonicalJson } from '../domain/canonical-json';

export const EVENTS = [
  'RegistryBootstrapped',
  'OrganisationRegistered',
  'OrganisationUpdated',
  'LicenseTypeRegistered',
  'LicenseTypeUpdated',
  'LicenseIssued',
  'LicenseBatchIssued',
  'LicenseStatusChanged',
  'LicenseVersioned',
  'MaterialRegistered',
  'MaterialWithdrawn',
  'GrantCreated',
  'GrantRevoked',
  'MaterialUsed',
  'ReceiptDelivered',
  'DisputeRaised',
  'DisputeAccepted',
  'DisputeRefused',
  'DisputeExtended',
  'DisputeResolved',
  'SealApplied',
  'SealApproved',
  'SealAuthorized',
  'SealAuthorizationRevoked',
  'SealStatusChanged',
] as const;

export type EventName = (typeof EVENTS)[number];

export function emit(ctx: Context, name: EventName, payload: Record<string, string | number | boolean | null | string[]>): void {
  ctx.stub.setEvent(name, Buffer.from(canonicalJson(payload), 'utf8'));
}
