/**
 * Electronic seals (电子印章 / 电子签章): GB/T 38540-2020 SM2/SM3 seals and PKCS#7 RSA seals —
 * seal PKI, seal making, signing behind a pluggable {@link SealSigner}, and step-wise verification
 * with stable codes (`codes.ts`).
 */
export {
  SEAL_STEPS,
  SEAL_CHECK_CODES,
  SEAL_ERROR_CODES,
  type SealStepName,
  type SealCheckCode,
  type SealErrorCode,
  type SealCheck,
} from './codes';
export {
  SM2_DEFAULT_USER_ID,
  generateSm2KeyPair,
  sm2PublicKeyFromPrivate,
  prepareSm2PublicKey,
  sm2Z,
  sm2MessageDigest,
  sm2Sign,
  sm2Verify,
  encodeSm2Signature,
  decodeSm2Signature,
  type Sm2KeyPair,
  type Sm2PreparedPublicKey,
  type Sm2Options,
} from './sm2';
export {
  generateSealKey,
  publicKeyInfo,
  exportPrivateKeyPem,
  importPrivateKeyPem,
  writePrivateKeyFile,
  writePrivateFile,
  toPem,
  fromPem,
  type SealAlgorithm,
  type SealPrivateKey,
} from './keys';
export {
  createRootCa,
  issueCertificate,
  type DistinguishedName,
  type CertifiedKey,
  type CertificateRole,
  type CertificateOptions,
} from './certificates';
export { parseCertificate, certificateFingerprint, type CertificateInfo, type CertificatePublicKey } from './x509';
export { validateChain, buildChain, judgeChainAt, type ChainOptions, type ChainResult } from './chain';
export {
  decodeSeal,
  decodeSignature,
  SES_VERSION,
  type DecodedSeal,
  type DecodedSignature,
  type SesSealInfo,
  type SesHeader,
  type SesPropertyInfo,
  type SesPictureInfo,
  type SesCertList,
  type SesCertDigest,
  type SesExtData,
} from './asn1';
export { newSoftwareSigner, keyMatchesCertificate, type SealSigner } from './signer';
export { SignerPool, type SignerPoolOptions } from './signer-pool';
export { makeSeal, DEFAULT_VENDOR_ID, type MakeSealOptions, type SealPicture } from './seal-maker';
export { signWithSeal, documentDigest, type SignWithSealOptions, type DocumentInput } from './ses-signature';
export { signPkcs7, decodePkcs7, type SignPkcs7Options, type DecodedPkcs7 } from './pkcs7';
export { inspectSeal, type SealFacts } from './seal-facts';
export {
  verifySealSignature,
  verifySeal,
  detectFormat,
  type SealFormat,
  type TrustOptions,
  type VerifySealSignatureOptions,
  type SealVerification,
  type SealSignatureFacts,
  type SignerFacts,
} from './verify';
export { SealVerifyCache, type SealVerifyCacheOptions, type SealVerifyCacheStats } from './verify-cache';
export { run, SEAL_USAGE, type CliIo } from './cli';
