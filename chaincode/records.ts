/**
 * The ledger records, as classes so that fabric-contract-api's `@Object`/`@Property` put their
 * schemas into the contract metadata (`org.hyperledger.fabric:GetMetadata`). Transactions return
 * these as canonical JSON strings; the classes are never instantiated (records are plain objects).
 *
 * Every property is declared with an explicit metadata type: nullable fields (`string | null`) are
 * described by their non-null type, since the metadata schema has no unions.
 */
import { Object as FabricObject, Property } from 'fabric-contract-api';

/** Who changed a record, when, how and why. Every record carries its latest change. */
@FabricObject()
export class ChangeInfo {
  @Property('txId', 'string') txId!: string;
  @Property('at', 'string') at!: string;
  @Property('actorMsp', 'string') actorMsp!: string;
  @Property('actorId', 'string') actorId!: string;
  @Property('operation', 'string') operation!: string;
  @Property('reason', 'string') reason!: string | null;
}

@FabricObject()
export class BootstrapRecord {
  @Property('docType', 'string') docType!: 'bootstrap';
  @Property('authorityMsp', 'string') authorityMsp!: string;
  @Property('at', 'string') at!: string;
  @Property('txId', 'string') txId!: string;
  @Property('actorId', 'string') actorId!: string;
}

@FabricObject()
export class OrganisationRecord {
  @Property('docType', 'string') docType!: 'organisation';
  @Property('mspId', 'string') mspId!: string;
  @Property('name', 'string') name!: string;
  /** USCC; null only for the authority until its admin records it. */
  @Property('code', 'string') code!: string | null;
  @Property('roles', 'string[]') roles!: string[];
  @Property('endpoint', 'string') endpoint!: string | null;
  @Property('areaCode', 'string') areaCode!: string | null;
  /** True for the organisation that bootstrapped the registry. */
  @Property('authority', 'boolean') authority!: boolean;
  @Property('version', 'number') version!: number;
  @Property('createdAt', 'string') createdAt!: string;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

@FabricObject()
export class LicenseTypeRecord {
  @Property('docType', 'string') docType!: 'licenseType';
  @Property('typeCode', 'string') typeCode!: string;
  @Property('name', 'string') name!: string;
  @Property('definerCode', 'string') definerCode!: string;
  @Property('holderCodeTypes', 'string[]') holderCodeTypes!: string[];
  /** MSP ids of the organisations authorised to issue this type. */
  @Property('issuers', 'string[]') issuers!: string[];
  @Property('fieldsSchemaDigest', 'string') fieldsSchemaDigest!: string;
  @Property('active', 'boolean') active!: boolean;
  @Property('version', 'number') version!: number;
  @Property('createdAt', 'string') createdAt!: string;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

@FabricObject()
export class LicenseRecord {
  @Property('docType', 'string') docType!: 'license';
  @Property('identifier', 'string') identifier!: string;
  @Property('typeCode', 'string') typeCode!: string;
  @Property('issuerMsp', 'string') issuerMsp!: string;
  @Property('issuerCode', 'string') issuerCode!: string;
  /** `hr:<hex>`; redacted (null) for readers who may not see personal references. */
  @Property('holderRef', 'string') holderRef!: string | null;
  @Property('holderCodeType', 'string') holderCodeType!: string;
  /** 证照编号 in clear, when the issuer chose to publish it … */
  @Property('number', 'string') number!: string | null;
  /** … or only its digest. */
  @Property('numberDigest', 'string') numberDigest!: string | null;
  @Property('version', 'number') version!: number;
  @Property('previousIdentifier', 'string') previousIdentifier!: string | null;
  /** The identifier of the version that superseded this one. */
  @Property('nextIdentifier', 'string') nextIdentifier!: string | null;
  @Property('superseded', 'boolean') superseded!: boolean;
  /** issue | renew | change | correct: how this version came to be. */
  @Property('origin', 'string') origin!: string;
  @Property('docDigest', 'string') docDigest!: string;
  @Property('sealId', 'string') sealId!: string;
  @Property('validFrom', 'string') validFrom!: string;
  /** null: no end (长期). */
  @Property('validUntil', 'string') validUntil!: string | null;
  @Property('areaCode', 'string') areaCode!: string | null;
  /** State code 01…07/99 (standards.md §3). */
  @Property('status', 'string') status!: string;
  @Property('batchId', 'string') batchId!: string | null;
  @Property('batchRoot', 'string') batchRoot!: string | null;
  @Property('batchIndex', 'number') batchIndex!: number | null;
  /** The dispute this version corrects, if any. */
  @Property('disputeId', 'string') disputeId!: string | null;
  @Property('issuedAt', 'string') issuedAt!: string;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

/** A license as reads return it: the record plus the open dispute flags on it. */
@FabricObject()
export class LicenseView extends LicenseRecord {
  /** Ids of accepted, unresolved disputes on this license (异议标注). */
  @Property('flags', 'string[]') flags!: string[];
}

@FabricObject()
export class BatchRecord {
  @Property('docType', 'string') docType!: 'batch';
  @Property('batchId', 'string') batchId!: string;
  @Property('issuerMsp', 'string') issuerMsp!: string;
  @Property('root', 'string') root!: string;
  @Property('size', 'number') size!: number;
  @Property('sealId', 'string') sealId!: string;
  @Property('createdAt', 'string') createdAt!: string;
  @Property('txId', 'string') txId!: string;
}

@FabricObject()
export class BatchChunkRecord {
  @Property('docType', 'string') docType!: 'batchChunk';
  @Property('batchId', 'string') batchId!: string;
  @Property('txId', 'string') txId!: string;
  @Property('at', 'string') at!: string;
  /** Licenses this transaction recorded. */
  @Property('issued', 'number') issued!: number;
  /** Licenses already on the ledger from an earlier attempt (idempotent resume). */
  @Property('skipped', 'number') skipped!: number;
  @Property('indexes', 'number[]') indexes!: number[];
}

@FabricObject()
export class MaterialRecord {
  @Property('docType', 'string') docType!: 'material';
  @Property('materialId', 'string') materialId!: string;
  @Property('ownerRef', 'string') ownerRef!: string | null;
  @Property('kind', 'string') kind!: string;
  @Property('digest', 'string') digest!: string;
  @Property('size', 'number') size!: number;
  @Property('mediaType', 'string') mediaType!: string;
  @Property('custodianMsp', 'string') custodianMsp!: string;
  /** applicant (through the portal) | agency (produced by an issuing agency). */
  @Property('source', 'string') source!: 'applicant' | 'agency';
  @Property('caseNo', 'string') caseNo!: string | null;
  /** ACTIVE | WITHDRAWN */
  @Property('status', 'string') status!: 'ACTIVE' | 'WITHDRAWN';
  @Property('registeredAt', 'string') registeredAt!: string;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

@FabricObject()
export class MaterialView extends MaterialRecord {
  @Property('flags', 'string[]') flags!: string[];
}

@FabricObject()
export class GrantRecord {
  @Property('docType', 'string') docType!: 'grant';
  @Property('grantId', 'string') grantId!: string;
  @Property('materialId', 'string') materialId!: string;
  @Property('ownerRef', 'string') ownerRef!: string | null;
  @Property('granteeMsp', 'string') granteeMsp!: string;
  @Property('custodianMsp', 'string') custodianMsp!: string;
  /** 用证事由, at most 200 characters. */
  @Property('purpose', 'string') purpose!: string;
  @Property('caseNo', 'string') caseNo!: string | null;
  @Property('expiresAt', 'string') expiresAt!: string;
  @Property('maxUses', 'number') maxUses!: number;
  @Property('uses', 'number') uses!: number;
  /** ACTIVE | REVOKED (expiry and exhaustion are judged from expiresAt and uses). */
  @Property('status', 'string') status!: 'ACTIVE' | 'REVOKED';
  @Property('grantorMsp', 'string') grantorMsp!: string;
  @Property('createdAt', 'string') createdAt!: string;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

@FabricObject()
export class ReceiptRecord {
  @Property('docType', 'string') docType!: 'receipt';
  /** The id of the transaction that consumed the use. */
  @Property('receiptId', 'string') receiptId!: string;
  @Property('materialId', 'string') materialId!: string;
  @Property('grantId', 'string') grantId!: string;
  @Property('ownerRef', 'string') ownerRef!: string | null;
  @Property('granteeMsp', 'string') granteeMsp!: string;
  @Property('granteeId', 'string') granteeId!: string;
  @Property('custodianMsp', 'string') custodianMsp!: string;
  @Property('purpose', 'string') purpose!: string;
  @Property('caseNo', 'string') caseNo!: string | null;
  /** The material's digest at the time of use: what the bytes delivered must hash to. */
  @Property('digest', 'string') digest!: string;
  @Property('at', 'string') at!: string;
  @Property('delivered', 'boolean') delivered!: boolean;
  @Property('deliveredAt', 'string') deliveredAt!: string | null;
  @Property('deliveryTxId', 'string') deliveryTxId!: string | null;
}

@FabricObject()
export class DisputeRecord {
  @Property('docType', 'string') docType!: 'dispute';
  /** The id of the transaction that raised it. */
  @Property('disputeId', 'string') disputeId!: string;
  /** license | material */
  @Property('subjectKind', 'string') subjectKind!: 'license' | 'material';
  @Property('subjectId', 'string') subjectId!: string;
  @Property('raiserMsp', 'string') raiserMsp!: string;
  @Property('raiserRole', 'string') raiserRole!: string;
  @Property('holderRef', 'string') holderRef!: string | null;
  @Property('reason', 'string') reason!: string;
  @Property('evidence', 'string[]') evidence!: string[];
  /** SUBMITTED | ACCEPTED | REFUSED | CORRECTED | CONFIRMED */
  @Property('status', 'string') status!: DisputeStatus;
  @Property('assigneeMsp', 'string') assigneeMsp!: string | null;
  @Property('acceptedAt', 'string') acceptedAt!: string | null;
  @Property('dueAt', 'string') dueAt!: string | null;
  @Property('extended', 'boolean') extended!: boolean;
  /** corrected | confirmed */
  @Property('outcome', 'string') outcome!: 'corrected' | 'confirmed' | null;
  @Property('newVersion', 'string') newVersion!: string | null;
  @Property('note', 'string') note!: string | null;
  @Property('raisedAt', 'string') raisedAt!: string;
  @Property('closedAt', 'string') closedAt!: string | null;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

export type DisputeStatus = 'SUBMITTED' | 'ACCEPTED' | 'REFUSED' | 'CORRECTED' | 'CONFIRMED';

/** One stretch of a seal's life in one state: `[from, to)`, `to` null while current. */
@FabricObject()
export class SealInterval {
  @Property('status', 'string') status!: SealStatus;
  @Property('from', 'string') from!: string;
  @Property('to', 'string') to!: string | null;
  @Property('txId', 'string') txId!: string;
  @Property('reason', 'string') reason!: string | null;
}

export type SealStatus = 'APPLIED' | 'ACTIVE' | 'SUSPENDED' | 'CANCELLED';

@FabricObject()
export class SealRecord {
  @Property('docType', 'string') docType!: 'seal';
  @Property('sealId', 'string') sealId!: string;
  @Property('ownerMsp', 'string') ownerMsp!: string;
  @Property('name', 'string') name!: string;
  @Property('kind', 'string') kind!: string;
  /** GBT38540 | PKCS7 */
  @Property('format', 'string') format!: 'GBT38540' | 'PKCS7';
  @Property('certFingerprints', 'string[]') certFingerprints!: string[];
  @Property('sealDigest', 'string') sealDigest!: string;
  @Property('validStart', 'string') validStart!: string;
  @Property('validEnd', 'string') validEnd!: string;
  /** APPLIED | ACTIVE | SUSPENDED | CANCELLED */
  @Property('status', 'string') status!: SealStatus;
  /** Append-only state history, oldest first. */
  @Property('intervals', 'SealInterval[]') intervals!: SealInterval[];
  @Property('appliedAt', 'string') appliedAt!: string;
  @Property('approvedAt', 'string') approvedAt!: string | null;
  @Property('lastChange', 'ChangeInfo') lastChange!: ChangeInfo;
}

/** One authorisation of an identity to sign with a seal; effective from max(notBefore, grantedAt). */
@FabricObject()
export class AuthorizationWindow {
  @Property('notBefore', 'string') notBefore!: string;
  @Property('notAfter', 'string') notAfter!: string;
  @Property('grantedAt', 'string') grantedAt!: string;
  @Property('grantedBy', 'string') grantedBy!: string;
  @Property('txId', 'string') txId!: string;
  @Property('revokedAt', 'string') revokedAt!: string | null;
  @Property('revokeReason', 'string') revokeReason!: string | null;
}

@FabricObject()
export class SealAuthorizationRecord {
  @Property('docType', 'string') docType!: 'sealAuthorization';
  @Property('sealId', 'string') sealId!: string;
  /** The signer identity as `ClientIdentity.getID()` prints it. */
  @Property('subject', 'string') subject!: string;
  @Property('windows', 'AuthorizationWindow[]') windows!: AuthorizationWindow[];
}

/** The answer to "was seal S active, and was identity X authorised for it, at time T". */
@FabricObject()
export class SealCheck {
  @Property('sealId', 'string') sealId!: string;
  @Property('registered', 'boolean') registered!: boolean;
  @Property('ownerMsp', 'string') ownerMsp!: string | null;
  @Property('at', 'string') at!: string;
  /** The seal's state at `at` (null before it was applied). */
  @Property('status', 'string') status!: SealStatus | null;
  @Property('withinValidity', 'boolean') withinValidity!: boolean;
  /** status ACTIVE and within the validity window. */
  @Property('active', 'boolean') active!: boolean;
  @Property('subject', 'string') subject!: string | null;
  @Property('authorized', 'boolean') authorized!: boolean;
}

/**
 * Everything a license verification reads, in one query (`license:GetVerificationFacts`): the
 * license with its open dispute flags, its type, its issuing organisation, its seal and the seal's
 * state at one instant, and — for a batch-sealed license — the batch header. Read afresh on every
 * call: status and dispute flags are never cached.
 */
export interface VerificationFacts {
  /** As `license:GetLicense` answers it (holderRef redacted by the same rule). */
  readonly license: LicenseView;
  readonly licenseType: LicenseTypeRecord | null;
  readonly issuer: OrganisationRecord | null;
  readonly seal: SealRecord | null;
  /** As `seal:CheckSeal(sealId, '', at)` answers it, at the instant asked or at the license's `issuedAt`. */
  readonly sealState: SealCheck;
  /**
   * For a batch-sealed license, its batch header as `license:GetBatchHeader` answers it (no chunk
   * lists), `'missing'` when there is none, `'forbidden'` when the caller may not read batches;
   * `null` for a license sealed on its own.
   */
  readonly batch: BatchRecord | 'missing' | 'forbidden' | null;
}
