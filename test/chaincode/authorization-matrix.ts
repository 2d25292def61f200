/**
 * The authorisation matrix, as data: every transaction × every role → `ok` or the refusal code.
 * Columns: admin (AuthorityMSP), issuer (AgencyAMSP), verifier (VerifierMSP), portal (PortalMSP),
 * auditor (AuditMSP) — each organisation registered with that one role.
 *
 * Where the answer depends on the caller's relation to a record, the fixture is stated in the
 * note: "own" means the fixture belongs to the caller's organisation when the caller's role could
 * own one (issuer: its seal, its license, its material; portal: its material), otherwise to the
 * usual owner (agency A for licenses and seals, the portal for materials).
 */
export const ROLES = ['admin', 'issuer', 'verifier', 'portal', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

const OK = 'ok';
const F = 'FORBIDDEN';

/** [admin, issuer, verifier, portal, auditor] */
type Row = readonly [string, string, string, string, string];

export const MATRIX: Readonly<Record<string, { row: Row; note?: string }>> = {
  'registry:Bootstrap': { row: ['CONFLICT', F, F, F, F], note: 'already bootstrapped' },
  'registry:RegisterOrganisation': { row: [OK, F, F, F, F] },
  'registry:UpdateOrganisation': { row: [OK, F, F, F, F] },
  'registry:GetOrganisation': { row: [OK, OK, OK, OK, OK] },
  'registry:ListOrganisations': { row: [OK, OK, OK, OK, OK] },
  'registry:GetOrganisationHistory': { row: [OK, F, F, F, OK] },
  'registry:RegisterLicenseType': { row: [OK, F, F, F, F] },
  'registry:UpdateLicenseType': { row: [OK, F, F, F, F] },
  'registry:GetLicenseType': { row: [OK, OK, OK, OK, OK] },
  'registry:ListLicenseTypes': { row: [OK, OK, OK, OK, OK] },
  'registry:GetLicenseTypeHistory': { row: [OK, F, F, F, OK] },

  'license:Issue': { row: [F, OK, F, F, F] },
  'license:IssueBatch': { row: [F, OK, F, F, F] },
  'license:ChangeStatus': { row: [F, OK, F, F, F], note: 'a license of agency A' },
  'license:NewVersion': { row: [F, OK, F, F, F], note: 'a license of agency A' },
  'license:GetLicense': { row: [OK, OK, OK, OK, OK], note: 'holderRef redacted for verifier, auditor, other issuers' },
  'license:GetLicenseHistory': { row: [OK, OK, F, OK, OK], note: 'an issuer: its own licenses only' },
  'license:ListLicensesByHolder': { row: [OK, OK, F, OK, F], note: 'an issuer sees only its own licenses' },
  'license:ListLicensesByIssuer': { row: [OK, OK, F, F, OK], note: 'issuer = agency A; an issuer lists only its own' },
  'license:GetBatch': { row: [OK, OK, OK, F, OK], note: 'a batch of agency A' },
  'license:GetBatchHeader': { row: [OK, OK, OK, F, OK], note: 'a batch of agency A (as GetBatch)' },
  'license:GetVerificationFacts': { row: [OK, OK, OK, OK, OK], note: 'a batch-sealed license of agency A: any role, as the reads it replaces; the batch header only where GetBatchHeader is allowed' },

  'material:RegisterMaterial': { row: [F, OK, F, OK, F] },
  'material:WithdrawMaterial': { row: [F, OK, F, OK, F], note: 'own material (custodian = caller)' },
  'material:GetMaterial': { row: [OK, OK, OK, OK, OK], note: 'ownerRef only for admin, portal, custodian issuer' },
  'material:FindMaterialsByDigest': { row: [OK, OK, OK, OK, OK] },
  'material:ListMaterialsByOwner': { row: [OK, OK, F, OK, F], note: 'an issuer sees only what it keeps' },

  'consent:CreateGrant': { row: [F, F, F, OK, F] },
  'consent:RevokeGrant': { row: [F, F, F, OK, F] },
  'consent:UseMaterial': { row: [F, OK, OK, F, F], note: 'grant to the caller\'s organisation' },
  'consent:RecordDelivery': { row: [F, OK, F, OK, F], note: 'own material (custodian = caller)' },
  'consent:GetGrant': { row: [OK, F, OK, OK, OK], note: 'grantee = verifier, custodian = portal: agency A is unrelated' },
  'consent:ListGrantsByOwner': { row: [OK, F, F, OK, F] },
  'consent:ListGrantsByMaterial': { row: [OK, F, F, OK, OK], note: 'material kept by the portal' },
  'consent:GetReceipt': { row: [OK, F, OK, OK, OK], note: 'grantee = verifier, custodian = portal' },
  'consent:ListReceiptsByMaterial': { row: [OK, F, F, OK, OK], note: 'material kept by the portal' },
  'consent:ListReceiptsByOwner': { row: [OK, F, F, OK, F] },

  'dispute:Raise': { row: [OK, F, OK, OK, F] },
  'dispute:Accept': { row: [OK, F, F, F, F] },
  'dispute:Refuse': { row: [OK, F, F, F, F] },
  'dispute:Extend': { row: [OK, F, F, F, F] },
  'dispute:Resolve': { row: [F, OK, F, OK, F], note: 'assigned to the caller\'s organisation' },
  'dispute:GetDispute': { row: [OK, OK, F, OK, OK], note: 'raised by the portal, assigned to agency A' },
  'dispute:ListDisputesByStatus': { row: [OK, F, F, F, OK] },
  'dispute:ListDisputesByAssignee': { row: [OK, OK, F, F, OK], note: 'assignee = agency A' },
  'dispute:ListDisputesByHolder': { row: [OK, F, F, OK, F] },
  'dispute:ListOverdueDisputes': { row: [OK, F, F, F, OK] },

  'seal:Apply': { row: [OK, OK, F, F, F] },
  'seal:Approve': { row: [OK, F, F, F, F] },
  'seal:Authorize': { row: [F, OK, F, F, F], note: 'a seal of agency A: the admin is not its owner' },
  'seal:RevokeAuthorization': { row: [F, OK, F, F, F], note: 'a seal of agency A' },
  'seal:ChangeStatus': { row: [OK, OK, F, F, F], note: 'a seal of agency A; the admin may too' },
  'seal:GetSeal': { row: [OK, OK, OK, OK, OK] },
  'seal:ListSealsByOwner': { row: [OK, OK, OK, OK, OK] },
  'seal:ListAuthorizations': { row: [OK, OK, OK, OK, OK] },
  'seal:CheckSeal': { row: [OK, OK, OK, OK, OK] },
  'seal:GetSealHistory': { row: [OK, OK, OK, OK, OK] },
};

export function expected(tx: string, role: Role): string {
  const entry = MATRIX[tx];
  if (!entry) throw new Error(`no matrix row for ${tx}`);
  return entry.row[ROLES.indexOf(role)] as string;
}
