/**
 * The `seal` check of a license verification (README flow 4, standards.md §4):
 *
 * 1. the signature verifies with the seal library against the trust roots, over the document's
 *    recomputed digest — or, for a batch-sealed license, over the batch manifest, with a Merkle
 *    proof that the digest is the recorded leaf of the manifest's root, and the manifest matching
 *    the ledger's batch record;
 * 2. the seal is the one the ledger recorded for the license, registered (备案) by the issuer, with
 *    the same seal digest, and the signer certificate is one the registration lists;
 * 3. the seal was active at the signing time the signature states (`seal:CheckSeal`), and that
 *    time is not after the license was recorded (a backdated claim cannot move past the ledger).
 *
 * A seal suspended or cancelled after signing does not invalidate licenses sealed before.
 */
import type { SealCheck as LedgerSealCheck, SealRecord, VerificationFacts } from '../chaincode/records';
import { parseDigest } from '../domain/digest';
import { BATCH_MANIFEST_FORMAT, type SealedLicense, batchManifestBytes } from '../domain/license-document';
import { verifyMerkleProof } from '../domain/merkle';
import type { SealCheck as SealStep, SealVerification } from '../seal';
import { type Check, check } from './check-codes';
import type { LedgerReader } from './ledger-reader';
import type { ProtectedInput, SignatureOutcome } from './seal-signatures';
import { sealStepMessages } from './seal-step-messages';

/** How far a signing time may run ahead of the ledger's transaction time (clock skew). */
export const SIGNING_TIME_SKEW_MS = 5 * 60_000;

function invalid(zh: string, en: string, detail: Record<string, unknown>): Check {
  return check('seal', 'SEAL_INVALID', zh, en, detail);
}

/** Digests on the ledger are `sm3:<hex>`; the seal library speaks bare hex. */
export function sameSm3(ledgerDigest: string, hex: string): boolean {
  return ledgerDigest === `sm3:${hex}` || ledgerDigest === hex;
}

/** Every step of the seal library, bilingual, for the check's detail. */
function steps(verification: SealVerification): { name: string; ok: boolean; code: string; message: string; messageEn: string }[] {
  return verification.checks.map((s: SealStep) => ({ name: s.name, ok: s.ok, code: s.code, message: sealStepMessages(s.code), messageEn: s.message }));
}

/**
 * The seal's state at a signing time. Signing times are whole seconds (GB/T 38540 timeInfo,
 * PKCS#7 signingTime): the signature was made somewhere in that second. When the seal was not
 * active at its start, the instant the license was recorded (`recordedAt`, when the chaincode
 * itself found the seal active and the signer authorised) is judged if it falls in that second,
 * else the end of the second — so a seal approved, or cancelled, within the second of signing
 * is judged fairly.
 */
export async function sealStateAt(reader: LedgerReader, sealId: string, at: Date, recordedAt?: Date, read?: LedgerSealCheck): Promise<LedgerSealCheck> {
  // `read`: the state at `at`, when it came with the verification facts (one ledger read fewer).
  const state = read !== undefined && read.sealId === sealId && read.at === at.toISOString() ? read : await reader.checkSeal(sealId, at);
  if (state.active || at.getMilliseconds() !== 0) return state;
  const offset = recordedAt === undefined ? -1 : recordedAt.getTime() - at.getTime();
  const later = await reader.checkSeal(sealId, offset >= 0 && offset < 1000 ? (recordedAt as Date) : new Date(at.getTime() + 999));
  return later.active ? later : state;
}

/**
 * The ledger side, shared by document and QR verification: registration, owner, state at `at` —
 * from the facts of one ledger read (a second read only when the seal was not active at the start
 * of the signing second, see {@link sealStateAt}).
 */
export async function sealOnLedger(
  reader: LedgerReader,
  facts: VerificationFacts,
  at: Date,
  base: Record<string, unknown>,
): Promise<{ seal: SealRecord; state: LedgerSealCheck } | Check> {
  const record = facts.license;
  const seal = facts.seal;
  if (!seal) return invalid(`印章 ${record.sealId} 未在链上备案`, `Seal ${record.sealId} is not registered on the ledger`, base);
  if (seal.ownerMsp !== record.issuerMsp) {
    return invalid(`印章 ${record.sealId} 不属于颁发机构`, `Seal ${record.sealId} does not belong to the issuer`, { ...base, ownerMsp: seal.ownerMsp });
  }
  const state = await sealStateAt(reader, seal.sealId, at, new Date(record.issuedAt), facts.sealState);
  if (!state.active) {
    const status = state.status ?? '未备案';
    const window = state.withinValidity ? '' : '，且不在印章有效期内';
    return check(
      'seal',
      'SEAL_NOT_ACTIVE_AT_SIGNING',
      `签章时（${state.at}）印章「${seal.name}」状态为 ${status}${window}`,
      `At signing time (${state.at}) seal "${seal.name}" was ${state.status ?? 'not yet registered'}${state.withinValidity ? '' : ', outside its validity window'}`,
      { ...base, sealName: seal.name, statusAtSigning: state.status, withinValidity: state.withinValidity, statusNow: seal.status },
    );
  }
  return { seal, state };
}

/**
 * What the signature of a presented document protects: the document digest itself, or the batch
 * manifest it belongs to (whose Merkle proof leads from the digest to the manifest's root).
 */
export function protectedInput(sealed: SealedLicense, computedDigest: string): ProtectedInput {
  const batch = sealed.seal.batch;
  return batch ? { content: batchManifestBytes(batch.manifest) } : { digest: Buffer.from(parseDigest(computedDigest).hex, 'hex') };
}

/**
 * The seal check of a presented document whose recomputed digest is `computedDigest`, given the
 * outcome of its signature's verification over {@link protectedInput} and the facts the ledger
 * answered (read with the signing time the signature states).
 */
export async function documentSealCheck(
  sealed: SealedLicense,
  computedDigest: string,
  facts: VerificationFacts,
  reader: LedgerReader,
  outcome: SignatureOutcome,
): Promise<Check> {
  const record = facts.license;
  const presented = sealed.seal;
  const base: Record<string, unknown> = { sealId: record.sealId, format: presented.format };
  if (presented.sealId !== record.sealId) {
    return invalid(`证照所附印章 ${presented.sealId} 不是链上登记的印章 ${record.sealId}`, `The seal ${presented.sealId} is not the seal recorded for this license, ${record.sealId}`, base);
  }

  const batch = presented.batch;
  if (batch) {
    const { manifest, proof } = batch;
    Object.assign(base, { batchId: manifest.batchId });
    if (record.batchId === null || manifest.batchId !== record.batchId || manifest.root !== record.batchRoot || proof.index !== record.batchIndex) {
      return invalid('批量签章清单与链上登记的批次不符', 'The batch manifest does not match the batch recorded for this license', {
        ...base,
        ledger: { batchId: record.batchId, root: record.batchRoot, index: record.batchIndex },
      });
    }
    if (manifest.format !== BATCH_MANIFEST_FORMAT || proof.size !== manifest.size || !verifyMerkleProof(computedDigest, proof, manifest.root)) {
      return invalid('默克尔证明不能由证照摘要推出批次根', 'The Merkle proof does not lead from the document digest to the batch root', base);
    }
    const header = facts.batch;
    if (header === null || header === 'missing') return invalid(`链上无批次 ${manifest.batchId}`, `Batch ${manifest.batchId} is not on the ledger`, base);
    if (header !== 'forbidden' && (header.root !== manifest.root || header.size !== manifest.size || header.sealId !== record.sealId)) {
      return invalid('批量签章清单的根、数量或印章与链上批次记录不符', 'The manifest root, size or seal differs from the ledger batch record', base);
    }
  } else if (record.batchId !== null) {
    return invalid('链上登记为批量签章，但证照未附批次清单与证明', 'The ledger records a batch seal, but the license carries no manifest and proof', base);
  }

  if (!outcome.readable) {
    return invalid('签章数据无法解析', `The signature cannot be read: ${outcome.message}`, base);
  }
  const verification = outcome.verification;
  const signed = verification.facts;
  Object.assign(base, {
    format: verification.format,
    signingTime: signed.signingTime.toISOString(),
    signer: signed.signer.subject,
    steps: steps(verification),
  });
  if (!verification.ok) {
    const failed = verification.checks.filter((s) => !s.ok);
    return invalid(
      `签章验证未通过：${failed.map((s) => sealStepMessages(s.code)).join('；')}`,
      `The seal signature does not verify: ${failed.map((s) => s.message).join('; ')}`,
      base,
    );
  }

  const ledger = await sealOnLedger(reader, facts, signed.signingTime, base);
  if ('ok' in ledger) return ledger;
  const { seal } = ledger;
  if (seal.format !== verification.format) {
    return invalid(`签章格式 ${verification.format} 与备案的 ${seal.format} 不符`, `Signature format ${verification.format} is not the registered ${seal.format}`, base);
  }
  if (signed.seal && !sameSm3(seal.sealDigest, signed.seal.sealDigest)) {
    return invalid('签章所含印章与链上备案的印章不是同一枚', 'The seal inside the signature is not the seal registered on the ledger', base);
  }
  if (!seal.certFingerprints.some((fp) => sameSm3(fp, signed.signer.fingerprint))) {
    return invalid('签章人证书不在印章备案的签章人之列', "The signer certificate is not among the seal's registered signers", base);
  }
  if (signed.signingTime.getTime() > Date.parse(record.issuedAt) + SIGNING_TIME_SKEW_MS) {
    return invalid(`签章时间 ${signed.signingTime.toISOString()} 晚于证照上链时间 ${record.issuedAt}`, `The signing time ${signed.signingTime.toISOString()} is after the license was recorded (${record.issuedAt})`, base);
  }
  return check(
    'seal',
    'OK',
    `「${seal.name}」签章有效，签章时印章处于备案有效状态${batch ? '（批量签章）' : ''}`,
    `Seal "${seal.name}" signature valid; the seal was registered and active at signing time${batch ? ' (batch seal)' : ''}`,
    { ...base, sealName: seal.name, statusNow: seal.status },
  );
}

/**
 * The seal check of a QR code (identifier and digest, no signature): only the ledger side can be
 * judged — the recorded seal was the issuer's and active when the license was recorded.
 */
export async function referenceSealCheck(facts: VerificationFacts, reader: LedgerReader): Promise<Check> {
  const record = facts.license;
  const base = { sealId: record.sealId, scope: 'ledger' };
  const ledger = await sealOnLedger(reader, facts, new Date(record.issuedAt), base);
  if ('ok' in ledger) return ledger;
  return check(
    'seal',
    'OK',
    `签发时所用印章「${ledger.seal.name}」已备案且有效（未出示签章，仅核对链上记录）`,
    `The seal "${ledger.seal.name}" used at issuance was registered and active (no signature presented: ledger record only)`,
    { ...base, sealName: ledger.seal.name, statusNow: ledger.seal.status },
  );
}
