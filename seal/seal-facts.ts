/**
 * What a seal says about itself, in the form the ledger and the verifier use: identifiers,
 * digests, window and the allowed signers. The seal digest is SM3 over the SESeal DER exactly as
 * embedded in signatures, lower-case hex — the value a seal registration (备案) records.
 */
import { createHash } from 'node:crypto';
import { decodeSeal, type DecodedSeal, type SesSealInfo } from './asn1';
import { sameBytes, sm3, toHex } from './internal';
import { certificateFingerprint, parseCertificate } from './x509';

/** Identifiers, digests, window and allowed signers of a seal. */
export interface SealFacts {
  readonly esID: string;
  readonly name: string;
  /** 印章类型 as written in the seal. */
  readonly type: number;
  readonly vendorId: string;
  /** SM3 of the SESeal DER, lower-case hex. */
  readonly sealDigest: string;
  readonly createDate: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
  readonly maker: { readonly fingerprint: string; readonly subject: string };
  /**
   * Allowed signers: SM3 certificate fingerprints (certListType 1), or the digests as stored
   * (certListType 2, with their algorithm label).
   */
  readonly signers:
    | { readonly listType: 1; readonly fingerprints: readonly string[] }
    | { readonly listType: 2; readonly digests: readonly { readonly type: string; readonly value: string }[] };
  readonly picture: { readonly type: string; readonly widthMm: number; readonly heightMm: number; readonly sm3: string };
}

/** Decodes a seal (DER) and returns its facts without verifying anything. Throws `SEAL_MALFORMED`. */
export function inspectSeal(sealDer: Uint8Array): SealFacts {
  return sealFacts(decodeSeal(sealDer));
}

/** Facts of an already decoded seal. The maker certificate must parse (else `SEAL_MALFORMED`). */
export function sealFacts(seal: DecodedSeal): SealFacts {
  const info = seal.sealInfo;
  const p = info.property;
  const maker = parseCertificate(seal.cert, 'SESeal.cert');
  return {
    esID: info.esID,
    name: p.name,
    type: p.type,
    vendorId: info.header.vid,
    sealDigest: toHex(sm3(seal.der)),
    createDate: p.createDate,
    validStart: p.validStart,
    validEnd: p.validEnd,
    maker: { fingerprint: maker.fingerprint, subject: maker.subject },
    signers:
      p.certList.type === 1
        ? { listType: 1, fingerprints: p.certList.certs.map(certificateFingerprint) }
        : { listType: 2, digests: p.certList.digests.map((d) => ({ type: d.type, value: toHex(d.value) })) },
    picture: { type: info.picture.type, widthMm: info.picture.width, heightMm: info.picture.height, sm3: toHex(sm3(info.picture.data)) },
  };
}

/** Node hash names for the labels implementations put in CertDigestObj.type. */
const DIGEST_LABELS: Record<string, string> = { SM3: 'sm3', SHA256: 'sha256', SHA1: 'sha1', SHA384: 'sha384', SHA512: 'sha512' };

/**
 * True when `certDer` is listed in the seal: byte-equal certificate (type 1), or a digest entry
 * whose algorithm label we know (SM3, SHA-256, SHA-1, …; case and dashes ignored) matches (type 2).
 */
export function signerListedInSeal(info: SesSealInfo, certDer: Uint8Array): boolean {
  const list = info.property.certList;
  if (list.type === 1) return list.certs.some((c) => sameBytes(c, certDer));
  return list.digests.some((d) => {
    const hash = DIGEST_LABELS[d.type.toUpperCase().replace(/[-_ ]/g, '')];
    return hash !== undefined && sameBytes(new Uint8Array(createHash(hash).update(certDer).digest()), d.value);
  });
}
