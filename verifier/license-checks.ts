/**
 * The license checks that need no cryptography: integrity, status, validity, issuer and dispute,
 * each a pure function of what was presented and what the ledger answered just now. The seal check
 * lives in `seal-check.ts`.
 */
import type { LicenseTypeRecord, LicenseView, OrganisationRecord } from '../chaincode/records';
import type { LicenseDocument } from '../domain/license-document';
import { parseLicenseIdentifier } from '../domain/license-identifier';
import { LICENSE_STATUSES, isLicenseStatus } from '../domain/license-status';
import { type Check, type CheckCode, check } from './check-codes';

/** What the relying party presented: a whole document, or a QR code's identifier and digest. */
export type Presented =
  | { readonly kind: 'document'; readonly document: LicenseDocument; readonly statedDigest: string; readonly computedDigest: string }
  | { readonly kind: 'reference'; readonly identifier: string; readonly statedDigest: string };

/** The recomputed digest equals the digest the document states, and both equal the ledger's docDigest. */
export function integrityCheck(presented: Presented, record: LicenseView): Check {
  const ledger = record.docDigest;
  if (presented.kind === 'reference') {
    return presented.statedDigest === ledger
      ? check('integrity', 'OK', '摘要与链上登记一致', 'The digest matches the ledger', { ledger })
      : check('integrity', 'DIGEST_MISMATCH', '二维码中的摘要与链上登记不符：证照内容已被改动或不是此证照', 'The digest in the QR code differs from the ledger: the license was altered or is another one', { stated: presented.statedDigest, ledger });
  }
  const { computedDigest: computed, statedDigest: stated } = presented;
  const detail = { computed, stated, ledger };
  if (computed !== stated) {
    return check('integrity', 'DIGEST_MISMATCH', '证照内容与其所附摘要不符：内容已被改动', 'The content does not hash to the digest it carries: it was altered', detail);
  }
  if (computed !== ledger) {
    return check('integrity', 'DIGEST_MISMATCH', '证照内容与链上登记的摘要不符：内容已被改动', 'The content differs from the digest anchored on the ledger: it was altered', detail);
  }
  return check('integrity', 'OK', '证照内容与链上登记的摘要一致', 'The content matches the digest anchored on the ledger', detail);
}

const STATUS_CODES: Readonly<Record<string, CheckCode>> = {
  '02': 'SUSPENDED',
  '03': 'REVOKED',
  '04': 'CANCELLED',
  '05': 'EXPIRED',
  '06': 'TRANSFERRED_OUT',
  '07': 'REVOKED',
};

/** State 01 (有效) and not superseded by a newer version; otherwise which state, or by which version. */
export function statusCheck(record: LicenseView): Check {
  const status = record.status;
  const names = isLicenseStatus(status) ? LICENSE_STATUSES[status] : { zh: '未知', en: 'unknown' };
  if (status !== '01') {
    return check('status', STATUS_CODES[status] ?? 'STATUS_NOT_VALID', `证照状态为「${names.zh}」（${status}）`, `The license is ${names.en} (state ${status})`, {
      status,
      reason: record.lastChange.reason,
      since: record.lastChange.at,
    });
  }
  if (record.superseded) {
    const next = record.nextIdentifier ?? '?';
    return check('status', 'SUPERSEDED', `已被新版本 ${next} 取代，请核验新版本`, `Superseded by ${next}; verify the new version`, {
      status,
      supersededBy: record.nextIdentifier,
      since: record.lastChange.at,
    });
  }
  return check('status', 'OK', '证照状态为「有效」，且为最新版本', 'The license is valid (state 01) and the current version', { status });
}

/** `today` (UTC+8) inside `[validFrom, validUntil]`; the end date is the last valid day, null is 长期. */
export function validityCheck(record: LicenseView, today: string): Check {
  const detail = { validFrom: record.validFrom, validUntil: record.validUntil, today };
  if (today < record.validFrom) {
    return check('validity', 'NOT_YET_VALID', `有效期自 ${record.validFrom} 起，尚未生效`, `Valid from ${record.validFrom}: not yet valid`, detail);
  }
  if (record.validUntil !== null && today > record.validUntil) {
    return check('validity', 'EXPIRED', `有效期至 ${record.validUntil}，已过期`, `Valid until ${record.validUntil}: expired`, detail);
  }
  const until = record.validUntil ?? '长期';
  return check('validity', 'OK', `在有效期内（${record.validFrom} 至 ${until}）`, `Within its validity (${record.validFrom} to ${record.validUntil ?? 'no end date'})`, detail);
}

/**
 * The issuer the document names is the one the ledger recorded, a registered organisation with
 * that USCC. Authorisation for the type is judged at issuance: the chaincode records a license
 * only for an organisation the type lists at that moment, so a record on the ledger proves it; a
 * later change of the type's issuers is shown, not held against licenses issued before it.
 */
export function issuerCheck(presented: Presented, record: LicenseView, org: OrganisationRecord | undefined, type: LicenseTypeRecord | undefined): Check {
  const fail = (zh: string, en: string, detail: Record<string, unknown> = {}): Check =>
    check('issuer', 'ISSUER_NOT_AUTHORIZED', zh, en, { issuerMsp: record.issuerMsp, issuerCode: record.issuerCode, ...detail });
  if (presented.kind === 'document') {
    const doc = presented.document;
    if (doc.issuerCode !== record.issuerCode) {
      return fail(`证照所载颁发机构代码 ${doc.issuerCode} 与链上登记的 ${record.issuerCode} 不符`, `The issuer code on the license, ${doc.issuerCode}, is not the recorded issuer ${record.issuerCode}`, { stated: doc.issuerCode });
    }
    if (doc.typeCode !== record.typeCode) {
      return fail(`证照类型代码 ${doc.typeCode} 与链上登记的 ${record.typeCode} 不符`, `The type code ${doc.typeCode} is not the recorded type ${record.typeCode}`, { stated: doc.typeCode });
    }
  }
  const parts = parseLicenseIdentifier(record.identifier);
  if (parts.issuerCode !== record.issuerCode) {
    return fail('证照标识中的颁发机构代码与链上登记不符', 'The issuer segment of the identifier is not the recorded issuer');
  }
  if (!org) {
    return fail(`颁发机构 ${record.issuerMsp} 未在登记簿中注册`, `The issuer ${record.issuerMsp} is not a registered organisation`);
  }
  if (org.code !== record.issuerCode) {
    return fail(`登记簿中 ${org.name} 的统一社会信用代码不是 ${record.issuerCode}`, `The registry's USCC of ${org.name} is not ${record.issuerCode}`, { registeredCode: org.code });
  }
  if (!type) {
    return fail(`证照类型 ${record.typeCode} 未登记`, `License type ${record.typeCode} is not registered`);
  }
  const currentlyAuthorised = type.issuers.includes(record.issuerMsp);
  const name = `${org.name}（${record.issuerCode}）`;
  return currentlyAuthorised
    ? check('issuer', 'OK', `由 ${name} 签发，该机构获授权签发「${type.name}」`, `Issued by ${org.name} (${record.issuerCode}), authorised to issue "${type.name}"`, {
        issuerMsp: record.issuerMsp,
        issuerCode: record.issuerCode,
        issuerName: org.name,
        typeName: type.name,
        currentlyAuthorised,
      })
    : check('issuer', 'OK', `由 ${name} 签发；签发时获授权（现已不在「${type.name}」的签发机构之列）`, `Issued by ${org.name} (${record.issuerCode}), authorised at issuance (no longer an issuer of "${type.name}")`, {
        issuerMsp: record.issuerMsp,
        issuerCode: record.issuerCode,
        issuerName: org.name,
        typeName: type.name,
        currentlyAuthorised,
      });
}

/** No accepted, unresolved dispute flags the license (异议标注). */
export function disputeCheck(record: LicenseView): Check {
  return record.flags.length === 0
    ? check('dispute', 'OK', '无未决异议', 'No open dispute')
    : check('dispute', 'DISPUTED', `存在 ${record.flags.length} 项已受理、尚未办结的异议，数据正在核实中`, `${record.flags.length} accepted dispute(s) open: the data is being verified`, { disputes: record.flags });
}
