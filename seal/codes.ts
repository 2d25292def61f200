/**
 * The one registry of seal codes: verification step names, the codes a step can report, and the
 * codes of errors the module throws. Codes never change; messages are free to improve.
 */
import { CodedError } from '../domain/coded-error';

/** Verification steps, each reported on its own (standards.md §4, README flow 9). */
export const SEAL_STEPS = {
  /** The document digest in the signature equals the digest of the supplied content / digest. */
  DIGEST: 'DIGEST',
  /** The signer's signature over TBS_Sign (SES) or over the signed attributes (PKCS#7). */
  SIGNATURE: 'SIGNATURE',
  /** The seal maker's signature over SES_SealInfo (SES only). */
  SEAL_SIGNATURE: 'SEAL_SIGNATURE',
  /** The signer certificate (or its digest) is in the seal's certList (SES only). */
  SIGNER_IN_SEAL: 'SIGNER_IN_SEAL',
  /** The signing time lies inside the seal's window, and the seal was made before it (SES only). */
  SEAL_VALIDITY: 'SEAL_VALIDITY',
  /** The maker certificate chains to a trusted root, every certificate valid at the check time (SES only). */
  MAKER_CHAIN: 'MAKER_CHAIN',
  /** The signer certificate chains to a trusted root, every certificate valid at signing time. */
  SIGNER_CHAIN: 'SIGNER_CHAIN',
} as const;

/** Name of a verification step. */
export type SealStepName = keyof typeof SEAL_STEPS;

/** Codes a verification step reports. `OK` is the only passing code. */
export const SEAL_CHECK_CODES = {
  OK: 'The check passed.',
  DIGEST_MISMATCH: 'The digest protected by the signature differs from the digest of the supplied document.',
  SIGNATURE_INVALID: 'The signature does not verify with the public key of the signer certificate.',
  SEAL_SIGNATURE_INVALID: "The seal's own signature does not verify with the maker certificate (the seal was altered).",
  SIGNER_NOT_IN_SEAL: "The signer certificate is not in the seal's list of allowed signer certificates.",
  SEAL_NOT_YET_VALID_AT_SIGNING: "The signing time is before the seal's validStart (or before the seal was made).",
  SEAL_EXPIRED_AT_SIGNING: "The signing time is after the seal's validEnd.",
  CERT_UNTRUSTED: 'No chain from the certificate to one of the trusted roots supplied by the caller.',
  CERT_SIGNATURE_INVALID: "A certificate's signature does not verify with its issuer's key.",
  CERT_NOT_CA: 'An issuing certificate is not a CA (basicConstraints cA, keyUsage keyCertSign).',
  CERT_KEY_USAGE_INVALID: 'The end certificate does not allow digital signatures (keyUsage).',
  CERT_NOT_YET_VALID_AT_SIGNING: 'A certificate in the chain was not yet valid at the check time.',
  CERT_EXPIRED_AT_SIGNING: 'A certificate in the chain had expired at the check time.',
} as const;

/** Code reported by a verification step. */
export type SealCheckCode = keyof typeof SEAL_CHECK_CODES;

/** Codes of errors thrown (as `CodedError`) by the seal module; never a verification result. */
export const SEAL_ERROR_CODES = {
  SEAL_MALFORMED:
    'A seal, signature, certificate or key could not be parsed: truncated or garbage DER, a wrong structure, an unexpected OID or version.',
  SEAL_INVALID_ARGUMENT: 'A caller-supplied argument is missing, inconsistent or out of range.',
  SEAL_KEY_INVALID: 'A private key cannot be read, is not of the expected algorithm, or does not match its certificate.',
  SEAL_SIGNER_FAILED: 'The signer (software, device or signing server) failed or returned an invalid signature.',
} as const;

/** Code of an error thrown by the seal module. */
export type SealErrorCode = keyof typeof SEAL_ERROR_CODES;

/** One verification step's outcome. */
export interface SealCheck {
  readonly name: SealStepName;
  readonly ok: boolean;
  readonly code: SealCheckCode;
  readonly message: string;
}

/** Builds a step result; a passing step carries code `OK`. */
export function check(name: SealStepName, code: SealCheckCode, message?: string): SealCheck {
  return { name, ok: code === 'OK', code, message: message ?? SEAL_CHECK_CODES[code] };
}

/** Creates the module's errors, so every thrown code is one of {@link SEAL_ERROR_CODES}. */
export function sealError(code: SealErrorCode, message: string, cause?: unknown): CodedError {
  return new CodedError(code, message, cause === undefined ? undefined : { cause });
}
