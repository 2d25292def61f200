/**
 * The receiving side of signed requests (`request-signature.ts`): who signed, if anyone, and
 * whether to believe it. In order:
 *
 * 1. the profile — one signature labelled `lc`, covering method, path, query and the identity
 *    headers, with `created`, `nonce`, `keyid`, `alg` and `tag` (`SIGNATURE_INVALID`);
 * 2. the time — `created` at most `maxAgeMs` old and at most `skewMs` ahead (`SIGNATURE_EXPIRED`);
 * 3. the identity — the certificate chains to a root CA of the claimed MSP (`IDENTITY_UNTRUSTED`);
 * 4. the signature, by the certificate's key, over the RFC 9421 signature base (`SIGNATURE_INVALID`);
 * 5. the nonce — never seen within the window (`SIGNATURE_REPLAYED`). It is recorded only after
 *    the signature verified, so nobody can burn another organisation's nonces.
 *
 * Passing all of it says which organisation (and role) is asking; what it may do is still
 * decided by the route and the chaincode.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { toPem } from '../certs/x509-provider';
import { createVerifier, ExpiredError, httpbis, type SignatureParameters } from 'http-message-signatures';
import type { MemberTrust } from './member-trust';
import { NonceWindow } from './nonce-window';
import { ProblemError } from './problem';
import { CERTIFICATE_HEADER, COVERED_COMPONENTS, MSP_HEADER, SIGNATURE_ALGORITHM, SIGNATURE_LABEL, SIGNATURE_PARAMETERS, SIGNATURE_TAG } from './request-signature';

/** The organisation that signed a request, as far as its certificate tells. */
export interface SignedCaller {
  readonly mspId: string;
  /** The certificate's `lc.role` attribute, if any. */
  readonly role: string | undefined;
  /** The certificate's identity as the chaincode would see it (`x509::/…::/…`). */
  readonly identityId: string;
  /** SHA-256 of the certificate (the signature's `keyid`). */
  readonly fingerprint: string;
}

/** What is read of a request (Fastify's request has these). */
export interface SignedMessage {
  readonly method: string;
  /** Path and query, as received (`/v1/…?…`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export const DEFAULT_SIGNATURE_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_SIGNATURE_SKEW_MS = 30_000;

const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NONCE = /^[A-Za-z0-9_~.+/=-]{16,128}$/;
// A P-256 certificate is well under 2 KB; anything much larger is not one.
const MAX_CERTIFICATE_BASE64 = 8192;

export interface SignedRequestVerifierOptions {
  readonly trust: MemberTrust;
  /** Oldest `created` accepted (default 5 minutes). */
  readonly maxAgeMs?: number;
  /** How far `created` may be ahead of this clock (default 30 s). */
  readonly skewMs?: number;
  readonly nonces?: NonceWindow;
  readonly now?: () => number;
}

function invalid(detail: string): ProblemError {
  return new ProblemError('SIGNATURE_INVALID', detail);
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw invalid(`header ${name} appears more than once`);
  return value;
}

export class SignedRequestVerifier {
  readonly #trust: MemberTrust;
  readonly #maxAgeMs: number;
  readonly #skewMs: number;
  readonly #nonces: NonceWindow;
  readonly #now: () => number;

  constructor(options: SignedRequestVerifierOptions) {
    this.#trust = options.trust;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_SIGNATURE_MAX_AGE_MS;
    this.#skewMs = options.skewMs ?? DEFAULT_SIGNATURE_SKEW_MS;
    this.#now = options.now ?? Date.now;
    this.#nonces = options.nonces ?? new NonceWindow({ now: this.#now });
  }

  /** True when `message` carries a signature (valid or not); false means "not signed at all". */
  static isSigned(message: SignedMessage): boolean {
    return message.headers['signature'] !== undefined || message.headers['signature-input'] !== undefined;
  }

  /**
   * The organisation that signed `message`.
   * @throws ProblemError `SIGNATURE_INVALID`, `SIGNATURE_EXPIRED`, `IDENTITY_UNTRUSTED`,
   *   `SIGNATURE_REPLAYED` (see the file comment), `OVERLOADED` (replay memory full).
   */
  async verify(message: SignedMessage): Promise<SignedCaller> {
    const mspId = single(message.headers, MSP_HEADER);
    const certificateBase64 = single(message.headers, CERTIFICATE_HEADER);
    if (mspId === undefined || !MSP_ID.test(mspId)) throw invalid(`header ${MSP_HEADER} is missing or malformed`);
    if (certificateBase64 === undefined || certificateBase64.length > MAX_CERTIFICATE_BASE64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(certificateBase64)) {
      throw invalid(`header ${CERTIFICATE_HEADER} is missing or is not a base64 DER certificate`);
    }
    const certificatePem = toPem(Buffer.from(certificateBase64, 'base64'), 'CERTIFICATE');
    const now = this.#now();
    const member = await this.#trust.identify(mspId, certificatePem, new Date(now));

    const seen: SignatureParameters[] = [];
    let verified: boolean | null;
    try {
      verified = await httpbis.verifyMessage(
        {
          // Called once per signature in the request, before any is verified.
          keyLookup: async (params) => {
            seen.push(params);
            if (params.keyid !== member.fingerprint) return null;
            return { id: member.fingerprint, algs: [SIGNATURE_ALGORITHM], verify: createVerifier(member.publicKey, SIGNATURE_ALGORITHM) };
          },
          requiredParams: [...SIGNATURE_PARAMETERS],
          requiredFields: [...COVERED_COMPONENTS],
          // The library refuses a `created` in the future beyond this; the age is checked below.
          tolerance: Math.ceil(this.#skewMs / 1000),
        },
        { method: message.method, url: new URL(message.url, 'http://custodian.invalid'), headers: definedHeaders(message.headers) },
      );
    } catch (error) {
      if (error instanceof ExpiredError) throw new ProblemError('SIGNATURE_EXPIRED', `the signature has expired or is dated in the future beyond the allowed clock skew (${error.message})`);
      throw invalid(`the signature cannot be checked: ${(error as Error).message}`);
    }
    const params = seen[0];
    if (seen.length !== 1 || params === undefined) throw invalid(`send exactly one signature (labelled ${SIGNATURE_LABEL}); ${seen.length} were sent`);
    if (!message.headers['signature-input']?.toString().startsWith(`${SIGNATURE_LABEL}=`)) throw invalid(`the signature must be labelled ${SIGNATURE_LABEL}`);
    if (params.keyid !== member.fingerprint) throw invalid('keyid does not name the certificate sent');
    if (params.alg !== SIGNATURE_ALGORITHM || params.tag !== SIGNATURE_TAG) throw invalid(`the signature must be alg="${SIGNATURE_ALGORITHM}", tag="${SIGNATURE_TAG}"`);
    if (verified !== true) throw invalid('the signature does not verify with the certificate\'s key');

    const created = params.created instanceof Date ? params.created.getTime() : NaN;
    if (!Number.isFinite(created) || now - created > this.#maxAgeMs) throw new ProblemError('SIGNATURE_EXPIRED', `the signature is older than ${this.#maxAgeMs / 1000} s`);
    if (created - now > this.#skewMs) throw new ProblemError('SIGNATURE_EXPIRED', 'the signature is dated in the future beyond the allowed clock skew');
    const nonce = params.nonce;
    if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw invalid('the nonce is missing or malformed (16 to 128 token characters)');
    // Past created + maxAge the signature is refused as stale, so the nonce need not be kept longer.
    if (!this.#nonces.remember(`${member.fingerprint}:${nonce}`, created + this.#maxAgeMs + 1000)) {
      throw new ProblemError('SIGNATURE_REPLAYED', 'this signature (its nonce) was already used; sign every request anew');
    }
    return { mspId, role: member.role, identityId: member.identityId, fingerprint: member.fingerprint };
  }
}

function definedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}
