/**
 * License verification (README flow 4): reads the ledger now, runs the six checks, and says
 * "verified" only when every one passed. Status and dispute flags are read on every call —
 * never cached — so a license revoked a second ago reads as revoked; only seal signature
 * verifications (pure functions of bytes) are remembered.
 *
 * A presented document costs one signature verification (off the event loop, `seal-signatures.ts`)
 * and then one ledger query, `license:GetVerificationFacts`, asked for the seal's state at the
 * signing time the signature states; a QR reference costs the query alone. With a
 * {@link FactsCache} the query's answer is kept until a ledger event may have changed it; the
 * answer still names the height the facts were read at.
 */
import type { Ledger } from '../ledger/client';
import type { VerificationFacts } from '../chaincode/records';
import type { SealedLicense } from '../domain/license-document';
import { withLedgerDeadline } from '../service/ledger-calls';
import type { Principal } from '../service/principal';
import { CHECK_CODES, type Check, type CheckCode, type CheckName, check, notChecked } from './check-codes';
import { chinaDate } from './china-date';
import type { FactsCache, HeightFacts } from './facts-cache';
import { LedgerReader } from './ledger-reader';
import { type Presented, disputeCheck, integrityCheck, issuerCheck, statusCheck, validityCheck } from './license-checks';
import { documentSealCheck, protectedInput, referenceSealCheck } from './seal-check';
import type { SealSignatures } from './seal-signatures';

/** The answer of `POST /v1/verify/license` and `GET /v1/verify/license/:identifier`. */
export interface LicenseVerification {
  readonly verified: boolean;
  readonly identifier: string;
  /** Ledger height when the facts were read: the result reflects at least this many blocks. */
  readonly blockHeight: number;
  /** True when the facts came from the cache (still valid: no ledger event changed them since). */
  readonly cached: boolean;
  readonly checkedAt: string;
  /** `OK`, or the code of the first failing check. */
  readonly code: CheckCode;
  readonly message: string;
  readonly messageEn: string;
  readonly checks: readonly Check[];
}

/** What a {@link LicenseVerifier} needs. */
export interface LicenseVerifierOptions {
  readonly ledger: Ledger;
  readonly signatures: SealSignatures;
  /** The clock "today" is read from (tests move it). */
  readonly clock?: () => Date;
  /** Facts kept between verifications, dropped by ledger events (default: read every time). */
  readonly factsCache?: FactsCache<VerificationFacts>;
}

/**
 * Verifies sealed licenses and QR references against the ledger.
 * @example
 * const result = await verifier.verifyDocument(principal, sealed, recomputeDigest(sealed));
 * if (!result.verified) console.log(result.code, result.checks.filter((c) => !c.ok));
 */
export class LicenseVerifier {
  readonly #ledger: Ledger;
  readonly #signatures: SealSignatures;
  readonly #clock: () => Date;
  readonly #cache: FactsCache<VerificationFacts> | undefined;

  constructor(options: Readonly<LicenseVerifierOptions>) {
    this.#ledger = options.ledger;
    this.#signatures = options.signatures;
    this.#clock = options.clock ?? (() => new Date());
    this.#cache = options.factsCache;
  }

  /** Verifies a sealed license whose digest `computedDigest` was recomputed from its content. */
  async verifyDocument(principal: Principal, sealed: SealedLicense, computedDigest: string): Promise<LicenseVerification> {
    const presented: Presented = { kind: 'document', document: sealed.document, statedDigest: sealed.digest, computedDigest };
    // The signature first: the ledger is then asked for the seal's state at the time it states.
    const outcome = await this.#signatures.verify(Buffer.from(sealed.seal.signature, 'base64'), protectedInput(sealed, computedDigest), sealed.seal.batch !== undefined);
    const signingTime = outcome.readable ? outcome.verification.facts.signingTime : undefined;
    const at = signingTime !== undefined && Number.isFinite(signingTime.getTime()) ? signingTime : undefined;
    return this.#verify(principal, sealed.document.identifier, presented, at, (facts, reader) =>
      documentSealCheck(sealed, computedDigest, facts, reader, outcome),
    );
  }

  /** Verifies what a QR code carries: the identifier and the digest. */
  verifyReference(principal: Principal, identifier: string, digest: string): Promise<LicenseVerification> {
    return this.#verify(principal, identifier, { kind: 'reference', identifier, statedDigest: digest }, undefined, (facts, reader) => referenceSealCheck(facts, reader));
  }

  async #verify(
    principal: Principal,
    identifier: string,
    presented: Presented,
    sealStateAt: Date | undefined,
    sealCheck: (facts: VerificationFacts, reader: LedgerReader) => Promise<Check>,
  ): Promise<LicenseVerification> {
    const now = this.#clock();
    const reader = new LedgerReader(principal);
    const read = async (): Promise<HeightFacts<VerificationFacts | undefined>> => {
      const { height } = await withLedgerDeadline(this.#ledger.info(), 'ledger info');
      return { facts: await reader.verificationFacts(identifier, sealStateAt), height };
    };
    const key = `${principal.identityId}\n${identifier}\n${sealStateAt?.toISOString() ?? ''}`;
    const { facts, height, cached } = this.#cache ? await this.#cache.get(key, identifier, read) : { ...(await read()), cached: false };
    let checks: Check[];
    if (!facts) {
      checks = [
        check('integrity', 'NOT_ON_LEDGER', `链上没有标识为 ${identifier} 的证照：它未经签发或标识有误`, `No license ${identifier} is on the ledger: it was never issued, or the identifier is wrong`),
        ...(['status', 'validity', 'issuer', 'seal', 'dispute'] as const).map((name: CheckName) => notChecked(name, '链上无此证照', 'the license is not on the ledger')),
      ];
    } else {
      const record = facts.license;
      const seal = await sealCheck(facts, reader);
      checks = [
        integrityCheck(presented, record),
        statusCheck(record),
        validityCheck(record, chinaDate(now)),
        issuerCheck(presented, record, facts.issuer ?? undefined, facts.licenseType ?? undefined),
        seal,
        disputeCheck(record),
      ];
    }
    const failed = checks.find((c) => !c.ok);
    const title = failed ? CHECK_CODES[failed.code] : undefined;
    return {
      verified: failed === undefined,
      identifier,
      blockHeight: height,
      cached,
      checkedAt: now.toISOString(),
      code: failed?.code ?? 'OK',
      message: title ? title.zh : '证照真实、有效，各项检查均通过',
      messageEn: title ? title.en : 'The license is authentic and valid: every check passed',
      checks,
    };
  }
}
