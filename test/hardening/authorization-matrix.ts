/**
 * Who may call what over HTTP, as data: every route of both services × every caller → the exact
 * answer, a success status or the refusal's problem code. `authorization.test.ts` prepares the
 * fixture each route names and checks every cell; a route without a row fails the test.
 *
 * Columns: the six demo principals, then no token, a malformed token, and a well-formed token
 * this consortium never issued (an agency of another deployment). Fixtures (the note says which
 * relation matters): agency A's license, batch and seal; a citizen's material kept by the portal,
 * granted to the relying agency (VerifierMSP); a dispute the portal raised on agency A's license,
 * accepted and assigned to agency A.
 */
export const CALLERS = ['admin', 'issuerA', 'issuerB', 'portal', 'verifier', 'auditor', 'none', 'malformed', 'foreign'] as const;
export type Caller = (typeof CALLERS)[number];

/** A success status, or the code of the expected problem. */
export type Cell = number | string;

/** [admin, issuerA, issuerB, portal, verifier, auditor, none, malformed, foreign] */
export type Row = readonly [Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell];

const F = 'FORBIDDEN';
const U = 'UNAUTHENTICATED';
/** Refused before anything else for every request without a valid token. */
const NO_TOKEN = [U, U, U] as const;

export const MATRIX: Readonly<Record<string, { readonly row: Row; readonly note?: string }>> = {
  // Registry
  'POST /v1/orgs': { row: [201, F, F, F, F, F, ...NO_TOKEN] },
  'GET /v1/orgs': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN] },
  'POST /v1/license-types': { row: [201, F, F, F, F, F, ...NO_TOKEN] },
  'GET /v1/license-types': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN] },
  'GET /v1/license-types/{typeCode}': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN] },

  // Licenses
  'POST /v1/licenses': { row: [F, 201, 'TYPE_NOT_AUTHORIZED', F, F, F, ...NO_TOKEN], note: "agency A's license type" },
  'POST /v1/licenses/batch': { row: [F, 200, 200, F, F, F, ...NO_TOKEN], note: "agency A's license type; agency B: every item refused (SCOPES)" },
  'GET /v1/licenses/batch/{batchId}': { row: [200, 200, F, F, 200, 200, ...NO_TOKEN], note: "agency A's batch (?issuer=AgencyAMSP)" },
  'GET /v1/licenses/{identifier}': { row: [200, 200, F, 200, F, F, ...NO_TOKEN], note: 'the document names the holder: its issuer, the portal, admin' },
  'GET /v1/licenses/{identifier}/history': { row: [200, 200, F, 200, F, 200, ...NO_TOKEN] },
  'POST /v1/licenses/{identifier}/status': { row: [F, 200, F, F, F, F, ...NO_TOKEN], note: 'suspend' },
  'POST /v1/licenses/{identifier}/versions': { row: [F, 201, F, F, F, F, ...NO_TOKEN], note: 'change' },
  'GET /v1/holders/licenses': { row: [200, 200, 200, 200, F, F, ...NO_TOKEN], note: 'an issuer sees only its own licenses (agency B: none)' },

  // Seals
  'POST /v1/seals': { row: [201, 201, 201, F, F, F, ...NO_TOKEN], note: 'each applies for a seal of its own organisation' },
  'GET /v1/seals': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN] },
  'GET /v1/seals/{sealId}': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN] },
  'POST /v1/seals/{sealId}/approve': { row: [200, F, F, F, F, F, ...NO_TOKEN], note: 'a seal agency A applied for' },
  'POST /v1/seals/{sealId}/authorizations': { row: [F, 201, F, F, F, F, ...NO_TOKEN], note: "agency A's seal: only its owner authorises" },
  'POST /v1/seals/{sealId}/authorizations/revoke': { row: [F, 200, F, F, F, F, ...NO_TOKEN], note: "agency A's seal" },
  'POST /v1/seals/{sealId}/status': { row: [200, 200, F, F, F, F, ...NO_TOKEN], note: "suspend agency A's seal: its owner or the admin" },

  // Ledger
  'GET /v1/ledger/info': { row: [200, F, F, F, F, 200, ...NO_TOKEN] },
  'GET /v1/ledger/blocks/{number}': { row: [200, F, F, F, F, 200, ...NO_TOKEN] },
  'GET /v1/ledger/transactions/{txId}': { row: [200, F, F, F, F, 200, ...NO_TOKEN] },

  // Materials and consent
  'POST /v1/materials': { row: [F, 201, 201, 201, F, F, ...NO_TOKEN], note: 'the portal for applicants, an issuer for what it produces' },
  'GET /v1/materials/{materialId}': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN], note: 'the owner reference is hidden from most' },
  'GET /v1/materials/{materialId}/content': { row: [F, F, F, F, 200, F, ...NO_TOKEN], note: 'an undelivered receipt of the relying agency: only it is served' },
  'POST /v1/materials/{materialId}/grants': { row: [F, F, F, 201, F, F, ...NO_TOKEN], note: "the portal, for the material's owner" },
  'GET /v1/grants/{grantId}': { row: [200, F, F, 200, 200, 200, ...NO_TOKEN], note: 'custodian portal, grantee VerifierMSP; the agencies are unrelated' },
  'DELETE /v1/grants/{grantId}': { row: [F, F, F, 200, F, F, ...NO_TOKEN] },
  'GET /v1/holders/materials': { row: [200, 200, 200, 200, F, F, ...NO_TOKEN], note: 'an issuer sees only what it keeps' },
  'GET /v1/holders/grants': { row: [200, F, F, 200, F, F, ...NO_TOKEN] },
  'GET /v1/holders/receipts': { row: [200, F, F, 200, F, F, ...NO_TOKEN] },
  'GET /v1/holders/disputes': { row: [200, F, F, 200, F, F, ...NO_TOKEN] },

  // Disputes
  'POST /v1/disputes': { row: [201, F, F, 201, 201, F, ...NO_TOKEN], note: "on agency A's license" },
  'GET /v1/disputes': { row: [200, 200, 200, 200, F, 200, ...NO_TOKEN], note: 'admin and auditor all; an issuer or the portal those assigned to it (SCOPES)' },
  'GET /v1/disputes/{disputeId}': { row: [200, 200, F, 200, F, 200, ...NO_TOKEN], note: 'raised by the portal, assigned to agency A' },
  'POST /v1/disputes/{disputeId}/accept': { row: [200, F, F, F, F, F, ...NO_TOKEN], note: 'a submitted dispute' },
  'POST /v1/disputes/{disputeId}/refuse': { row: [200, F, F, F, F, F, ...NO_TOKEN], note: 'a submitted dispute' },
  'POST /v1/disputes/{disputeId}/extend': { row: [200, F, F, F, F, F, ...NO_TOKEN], note: 'an accepted dispute' },
  'POST /v1/disputes/{disputeId}/resolve': { row: [F, 200, F, F, F, F, ...NO_TOKEN], note: 'confirmed, by the assigned agency A' },

  // Verifier: public verification (anyone, a token is optional but must be valid), material checks and reuse
  'POST /v1/verify/license': { row: [200, 200, 200, 200, 200, 200, 200, U, U] },
  'GET /v1/verify/license/{identifier}': { row: [200, 200, 200, 200, 200, 200, 200, U, U] },
  'POST /v1/verify/seal': { row: [200, 200, 200, 200, 200, 200, 200, U, U] },
  'POST /v1/verify/material': { row: [200, 200, 200, 200, 200, 200, ...NO_TOKEN] },
  'POST /v1/reuse': { row: [F, 'GRANT_INVALID', 'GRANT_INVALID', F, 200, F, ...NO_TOKEN], note: 'a grant to VerifierMSP' },
};

/**
 * Where an allowed call must still not show what the caller may not see: the answer lists nothing
 * (`empty`), only what the caller's organisation keeps (`kept-by-caller`), hides the holder
 * (`owner-hidden`), or — a batch — refuses every item (`nothing-issued`).
 */
export type Scope = 'empty' | 'kept-by-caller' | 'owner-hidden' | 'nothing-issued';

export const SCOPES: Readonly<Record<string, { readonly callers: readonly Caller[]; readonly expect: Scope }>> = {
  'POST /v1/licenses/batch': { callers: ['issuerB'], expect: 'nothing-issued' },
  'GET /v1/holders/licenses': { callers: ['issuerB'], expect: 'empty' },
  'GET /v1/holders/materials': { callers: ['issuerA', 'issuerB'], expect: 'kept-by-caller' },
  'GET /v1/disputes': { callers: ['issuerB', 'portal'], expect: 'empty' },
  'GET /v1/materials/{materialId}': { callers: ['issuerA', 'issuerB', 'verifier', 'auditor'], expect: 'owner-hidden' },
};

/** The expected cell of `route` for `caller`. */
export function expected(route: string, caller: Caller): Cell {
  const entry = MATRIX[route];
  if (!entry) throw new Error(`no matrix row for ${route}`);
  return entry.row[CALLERS.indexOf(caller)] as Cell;
}
