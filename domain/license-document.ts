/**
 * The license document a holder presents, and the sealed envelope around it — the contract
 * between the gateway (which builds and seals it) and the verifier (which checks it).
 *
 * - `LicenseDocument`: GB/T 36903 metadata (standards.md §3) plus the type's surface fields
 *   (照面信息). Its digest is SM3 over its RFC 8785 canonical JSON: `docDigest`, the value
 *   anchored on the ledger.
 * - `SealedLicense`: the document, its digest, and the e-seal signature. A license issued alone
 *   is signed directly over `docDigest`; a license collected in a batch (应归尽归) carries the
 *   batch's signature over the canonical `BatchManifest` (batch id, Merkle root, size) and its
 *   Merkle proof that `docDigest` is leaf `proof.index` of that root. The manifest includes the
 *   size because the Merkle root alone does not commit to it.
 */
import { canonicalBytes } from './canonical-json';
import { digestOf } from './digest';
import type { MerkleProof } from './merkle';

export const LICENSE_DOCUMENT_FORMAT = 'licensechain/license@1';
export const BATCH_MANIFEST_FORMAT = 'licensechain/batch@1';

/** GB/T 36903 metadata; Chinese element names in the comments. */
export interface LicenseDocument {
  readonly format: typeof LICENSE_DOCUMENT_FORMAT;
  /** 证照标识 (GB/T 36904). */
  readonly identifier: string;
  /** 证照名称. */
  readonly name: string;
  /** 证照类型代码. */
  readonly typeCode: string;
  /** 证照编号: the number printed on the license. */
  readonly number: string;
  /** 颁发机构. */
  readonly issuerName: string;
  /** 颁发机构代码 (USCC). */
  readonly issuerCode: string;
  /** 颁发日期, YYYY-MM-DD. */
  readonly issuedOn: string;
  /** 持证主体. */
  readonly holderName: string;
  /** 持证主体代码类型代码. */
  readonly holderCodeType: string;
  /** 持证主体代码. */
  readonly holderCode: string;
  /** 有效期起始, YYYY-MM-DD. */
  readonly validFrom: string;
  /** 有效期截止, YYYY-MM-DD, or null for 长期 (no end). */
  readonly validUntil: string | null;
  /** 所属管辖属地编码 (GB/T 2260). */
  readonly areaCode: string;
  /** Version number (1 for a first issue). */
  readonly version: number;
  /** 关联证照标识: the version this one replaces, if any. */
  readonly previousIdentifier: string | null;
  /** 照面信息: the type's surface fields, valid against its registered schema. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface BatchManifest {
  readonly format: typeof BATCH_MANIFEST_FORMAT;
  readonly batchId: string;
  /** `sm3:` Merkle root of the batch's docDigests, in batch order. */
  readonly root: string;
  readonly size: number;
}

export interface SealedLicense {
  readonly document: LicenseDocument;
  /** `sm3:` digest of the document's canonical JSON. */
  readonly digest: string;
  readonly seal: {
    /** GBT38540: a DER SES_Signature; PKCS7: a DER detached SignedData. */
    readonly format: 'GBT38540' | 'PKCS7';
    readonly sealId: string;
    /** Base64 of the signature bytes. */
    readonly signature: string;
    /** 签章人 and 签章名称, for display; the signature itself is authoritative. */
    readonly signerName?: string;
    readonly sealName?: string;
    /** Present for batch-sealed licenses: what the signature covers, and this license's place in it. */
    readonly batch?: { readonly manifest: BatchManifest; readonly proof: MerkleProof };
  };
}

/** SM3 over the canonical JSON of the document: the value anchored on the ledger. */
export function licenseDocumentDigest(document: LicenseDocument): string {
  return digestOf(canonicalBytes(document), 'sm3');
}

/** The bytes a batch seal signs. */
export function batchManifestBytes(manifest: BatchManifest): Buffer {
  return canonicalBytes(manifest);
}

/** The QR payload: identifier and digest, enough for `GET /v1/verify/license/:identifier?digest=`. */
export function qrPayload(identifier: string, digest: string, verifierUrl?: string): string {
  const path = `/v1/verify/license/${encodeURIComponent(identifier)}?digest=${encodeURIComponent(digest)}`;
  return verifierUrl ? `${verifierUrl.replace(/\/$/, '')}${path}` : `LC1:${identifier}:${digest}`;
}
