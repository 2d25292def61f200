/**
 * The domain library shared by the chaincode, the gateway and the verifier: identifiers, holder
 * codes and references, canonical JSON, digests, Merkle proofs, license states. Everything here is
 * deterministic (no clock, no randomness), so the chaincode may use all of it.
 */
export { CodedError, parseCodedMessage } from './coded-error';
export {
  IDENTIFIER_ROOT,
  LICENSE_SERIAL_MAX_LENGTH,
  type LicenseIdentifierParts,
  makeLicenseIdentifier,
  parseLicenseIdentifier,
  isLicenseIdentifier,
  mod3736CheckCharacter,
  nextVersionIdentifier,
} from './license-identifier';
export {
  HOLDER_CODE_TYPES,
  type HolderCodeCheck,
  checkHolderCode,
  usccCheckCharacter,
  citizenIdCheckCharacter,
  isUsccShape,
} from './holder-code';
export { HOLDER_REF_MIN_KEY_BYTES, HOLDER_REF_PATTERN, holderRef } from './holder-ref';
export { canonicalJson, canonicalBytes } from './canonical-json';
export {
  type DigestAlgorithm,
  type Digester,
  DIGEST_PATTERN,
  sm3,
  digestOf,
  parseDigest,
  createDigester,
} from './digest';
export {
  type MerkleProof,
  type MerkleProofStep,
  MerkleTree,
  merkleRoot,
  merkleProof,
  verifyMerkleProof,
} from './merkle';
export {
  LICENSE_STATUSES,
  type LicenseStatus,
  STATUS_ACTIONS,
  type StatusAction,
  isLicenseStatus,
  isStatusAction,
  canTransition,
} from './license-status';
