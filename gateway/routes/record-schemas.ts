/**
 * JSON Schemas of what the material, consent, holder and dispute routes answer with: the ledger records
 * as the chaincode returns them (records.ts), declared so that fast-json-stringify writes exactly
 * these fields and nothing undeclared leaks.
 */

/** Ids the ledger accepts: gateway-chosen ids and transaction ids (chaincode/validation.ts PATTERNS.id). */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

/** Free text: some non-space character, no NUL (chaincode/validation.ts PATTERNS.text). */
export const TEXT_PATTERN = '^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$';

const nullableString = { type: ['string', 'null'] } as const;

/** A record's latest change (who, when, how, why). */
export const CHANGE_SCHEMA = {
  type: 'object',
  properties: {
    txId: { type: 'string' },
    at: { type: 'string' },
    actorMsp: { type: 'string' },
    actorId: { type: 'string' },
    operation: { type: 'string' },
    reason: nullableString,
  },
} as const;

const MATERIAL_PROPERTIES = {
  materialId: { type: 'string' },
  ownerRef: nullableString,
  kind: { type: 'string' },
  digest: { type: 'string' },
  size: { type: 'integer' },
  mediaType: { type: 'string' },
  custodianMsp: { type: 'string' },
  source: { type: 'string' },
  caseNo: nullableString,
  status: { type: 'string' },
  registeredAt: { type: 'string' },
  flags: { type: 'array', items: { type: 'string' } },
  lastChange: CHANGE_SCHEMA,
} as const;

/** A material as the ledger shows it to the caller (`ownerRef` null for those who may not see it). */
export const MATERIAL_SCHEMA = { type: 'object', properties: MATERIAL_PROPERTIES } as const;

/** The answer to an upload: the material plus the registering transaction. */
export const MATERIAL_WRITE_SCHEMA = {
  type: 'object',
  required: ['materialId', 'digest', 'size', 'mediaType', 'txId', 'blockNumber'],
  properties: {
    ...MATERIAL_PROPERTIES,
    /** False when the same owner had registered the same bytes before. */
    created: { type: 'boolean' },
    txId: { type: 'string' },
    blockNumber: { type: 'integer' },
  },
} as const;

const GRANT_PROPERTIES = {
  grantId: { type: 'string' },
  materialId: { type: 'string' },
  ownerRef: nullableString,
  granteeMsp: { type: 'string' },
  custodianMsp: { type: 'string' },
  purpose: { type: 'string' },
  caseNo: nullableString,
  expiresAt: { type: 'string' },
  maxUses: { type: 'integer' },
  uses: { type: 'integer' },
  status: { type: 'string' },
  grantorMsp: { type: 'string' },
  createdAt: { type: 'string' },
  lastChange: CHANGE_SCHEMA,
} as const;

export const GRANT_SCHEMA = { type: 'object', properties: GRANT_PROPERTIES } as const;

export const GRANT_WRITE_SCHEMA = {
  type: 'object',
  required: ['grantId', 'txId', 'blockNumber'],
  properties: { ...GRANT_PROPERTIES, txId: { type: 'string' }, blockNumber: { type: 'integer' } },
} as const;

export const RECEIPT_SCHEMA = {
  type: 'object',
  properties: {
    receiptId: { type: 'string' },
    materialId: { type: 'string' },
    grantId: { type: 'string' },
    ownerRef: nullableString,
    granteeMsp: { type: 'string' },
    granteeId: { type: 'string' },
    custodianMsp: { type: 'string' },
    purpose: { type: 'string' },
    caseNo: nullableString,
    digest: { type: 'string' },
    at: { type: 'string' },
    delivered: { type: 'boolean' },
    deliveredAt: nullableString,
    deliveryTxId: nullableString,
  },
} as const;

const DISPUTE_PROPERTIES = {
  disputeId: { type: 'string' },
  subjectKind: { type: 'string' },
  subjectId: { type: 'string' },
  raiserMsp: { type: 'string' },
  raiserRole: { type: 'string' },
  holderRef: nullableString,
  reason: { type: 'string' },
  evidence: { type: 'array', items: { type: 'string' } },
  status: { type: 'string' },
  assigneeMsp: nullableString,
  acceptedAt: nullableString,
  dueAt: nullableString,
  extended: { type: 'boolean' },
  outcome: nullableString,
  newVersion: nullableString,
  note: nullableString,
  raisedAt: { type: 'string' },
  closedAt: nullableString,
  lastChange: CHANGE_SCHEMA,
} as const;

export const DISPUTE_SCHEMA = { type: 'object', properties: DISPUTE_PROPERTIES } as const;

export const DISPUTE_WRITE_SCHEMA = {
  type: 'object',
  required: ['disputeId', 'status', 'txId'],
  properties: {
    ...DISPUTE_PROPERTIES,
    txId: { type: 'string' },
    blockNumber: { type: 'integer' },
    /** Resolved as corrected: the new license version that corrects the subject. */
    correction: {
      type: 'object',
      properties: {
        identifier: { type: 'string' },
        version: { type: 'integer' },
        digest: { type: 'string' },
        txId: { type: 'string' },
        blockNumber: { type: 'integer' },
        document: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** `202` of a corrected resolution whose closing transaction is still queued. */
export const RESOLUTION_PENDING_SCHEMA = {
  type: 'object',
  required: ['disputeId', 'resolution'],
  properties: {
    disputeId: { type: 'string' },
    resolution: { type: 'string', enum: ['PENDING'] },
    correction: DISPUTE_WRITE_SCHEMA.properties.correction,
  },
} as const;

/** The answer of every write: the record plus the transaction that committed it. */
export const WRITE_ANSWER = {
  type: 'object',
  additionalProperties: true,
  required: ['txId', 'blockNumber'],
  properties: { txId: { type: 'string' }, blockNumber: { type: 'integer' } },
} as const;
