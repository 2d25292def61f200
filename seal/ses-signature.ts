/**
 * Signing with a seal (签章): a GB/T 38540 `SES_Signature` over a document's SM3 digest.
 */
import { decodeSeal, encodeSignature, encodeTbsSign, type DecodedSeal, type SesExtData } from './asn1';
import { sealError } from './codes';
import { sameBytes, sm3, wholeSeconds } from './internal';
import { OID } from './oids';
import { callSigner, type SealSigner } from './signer';
import { signerListedInSeal } from './seal-facts';
import { sm2Verify } from './sm2';
import { parseCertificate } from './x509';

/** The document digest every seal signature protects: SM3 of the document bytes. */
export function documentDigest(content: Uint8Array): Uint8Array {
  return sm3(content);
}

/** The protected document, as its bytes or as their SM3 digest (32 bytes). */
export type DocumentInput = { readonly content: Uint8Array; readonly digest?: never } | { readonly digest: Uint8Array; readonly content?: never };

/** Options of {@link signWithSeal}. */
export type SignWithSealOptions = DocumentInput & {
  /** The SESeal (DER) exactly as made; embedded byte for byte. */
  readonly seal: Uint8Array;
  /** An SM2 signer whose certificate is in the seal's certList. */
  readonly signer: SealSigner;
  /** TBS_Sign.propertyInfo (IA5String): what was signed, e.g. the license identifier. */
  readonly propertyInfo: string;
  /** TBS_Sign.timeInfo; default now (whole seconds). */
  readonly signingTime?: Date;
  readonly extDatas?: readonly SesExtData[];
  /**
   * Skip the pre-flight checks (signer listed in the seal, signing time inside the seal window and
   * the signer certificate's validity). For tests and migration tools only.
   */
  readonly unchecked?: boolean;
};

/**
 * Produces a v4 SES_Signature (DER). Throws `SEAL_MALFORMED` for an unreadable seal,
 * `SEAL_INVALID_ARGUMENT` when the seal cannot be used by this signer at this time, and
 * `SEAL_SIGNER_FAILED` when the signer fails or its output does not verify (checked here, or by
 * the signer itself when it says so: `SealSigner.checksOwnSignatures`).
 *
 * @example
 * ```ts
 * const signature = await signWithSeal({ seal, signer, content: canonicalJson, propertyInfo: identifier });
 * ```
 */
export async function signWithSeal(options: SignWithSealOptions): Promise<Uint8Array> {
  const digest = resolveDigest(options);
  const seal = decodedSeal(options.seal);
  const signerCert = parseCertificate(options.signer.certificate, 'signer certificate');
  if (options.signer.algorithm !== 'SM2' || signerCert.publicKey.algorithm !== 'SM2') {
    throw sealError('SEAL_INVALID_ARGUMENT', 'GB/T 38540 signatures need an SM2 signer; use signPkcs7 for RSA');
  }
  const signingTime = wholeSeconds(options.signingTime ?? new Date(), 'signingTime');
  if (!options.unchecked) {
    const p = seal.sealInfo.property;
    if (!signerListedInSeal(seal.sealInfo, signerCert.der)) {
      throw sealError('SEAL_INVALID_ARGUMENT', `"${signerCert.subject}" is not among the seal's signer certificates`);
    }
    if (signingTime < p.validStart || signingTime > p.validEnd || signingTime < p.createDate) {
      throw sealError('SEAL_INVALID_ARGUMENT', `signing time ${signingTime.toISOString()} is outside the seal's validity`);
    }
    if (signingTime < signerCert.notBefore || signingTime > signerCert.notAfter) {
      throw sealError('SEAL_INVALID_ARGUMENT', `signer certificate is not valid at ${signingTime.toISOString()}`);
    }
  }
  const tbsDer = encodeTbsSign({
    sealDer: seal.der,
    timeInfo: signingTime,
    dataHash: digest,
    propertyInfo: options.propertyInfo,
    ...(options.extDatas ? { extDatas: options.extDatas } : {}),
  });
  const signature = await callSigner(options.signer, tbsDer);
  if (!options.signer.checksOwnSignatures && !sm2Verify(tbsDer, signature, signerCert.publicKey.point)) {
    throw sealError('SEAL_SIGNER_FAILED', "the signer's signature does not verify with its certificate");
  }
  return encodeSignature(tbsDer, signerCert.der, OID.sm3WithSm2, signature);
}

/**
 * Decoded seals by the byte array they were decoded from: a signer passes the same SESeal bytes
 * on every signature (the gateway's keyring does), and decoding it (certificates, picture) cost
 * more than the rest of the encoding. A hit is used only while the array still holds the bytes
 * that were decoded (they are compared), so a caller that reuses an array for another seal is safe.
 */
const decodedSeals = new WeakMap<Uint8Array, DecodedSeal>();

function decodedSeal(der: Uint8Array): DecodedSeal {
  const cached = decodedSeals.get(der);
  if (cached && sameBytes(cached.der, der)) return cached;
  const seal = decodeSeal(der);
  decodedSeals.set(der, seal);
  return seal;
}

/** The 32-byte SM3 document digest from content or digest; exactly one must be given. */
export function resolveDigest(input: { readonly content?: Uint8Array | undefined; readonly digest?: Uint8Array | undefined }): Uint8Array {
  if (input.content !== undefined && input.digest !== undefined) {
    throw sealError('SEAL_INVALID_ARGUMENT', 'give the document content or its digest, not both');
  }
  if (input.content !== undefined) return documentDigest(input.content);
  if (input.digest === undefined) throw sealError('SEAL_INVALID_ARGUMENT', 'the document content or its SM3 digest is required');
  if (input.digest.length !== 32) throw sealError('SEAL_INVALID_ARGUMENT', 'the document digest must be 32 bytes (SM3)');
  return new Uint8Array(input.digest);
}
