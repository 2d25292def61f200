/**
 * Seal making (制章): binds a picture, a validity window and the certificates allowed to sign with
 * the seal into a GB/T 38540 `SESeal`, signed by the seal maker (制章者).
 */
import { randomBytes } from 'node:crypto';
import { encodeSeal, encodeSealInfo, SES_VERSION, type SesCertList, type SesExtData, type SesSealInfo } from './asn1';
import { sealError } from './codes';
import { OID } from './oids';
import { callSigner, type SealSigner } from './signer';
import { sm3, wholeSeconds } from './internal';
import { sm2Verify } from './sm2';
import { parseCertificate } from './x509';

/** Vendor identifier written in SES_Header.Vid unless another is given. */
export const DEFAULT_VENDOR_ID = 'LicenseChain';

/** The seal image (印模). */
export interface SealPicture {
  /** Image bytes; for "PNG" they must be a PNG file. */
  readonly data: Uint8Array;
  /** Image type; default "PNG". */
  readonly type?: string;
  /** Display width and height in millimetres (e.g. 40 for a round 40 mm seal). */
  readonly widthMm: number;
  readonly heightMm: number;
}

/** Options of {@link makeSeal}. */
export interface MakeSealOptions {
  /** The seal maker's SM2 signer (its certificate goes into SESeal.cert). */
  readonly maker: SealSigner;
  /** Seal name (印章名称), as registered. */
  readonly name: string;
  /** Unique seal identifier (IA5String); default 32 random hex digits. */
  readonly esID?: string;
  /** 印章类型: the standard leaves the numbering to the application; default 1. */
  readonly type?: number;
  /** SES_Header.Vid; default {@link DEFAULT_VENDOR_ID}. */
  readonly vendorId?: string;
  /** DER certificates of the people or systems allowed to sign with this seal (SM2). */
  readonly signerCertificates: readonly Uint8Array[];
  /** Store the certificates themselves (1, default) or their SM3 digests (2). */
  readonly certListType?: 'certificates' | 'digests';
  /** Default: now. */
  readonly createDate?: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
  readonly picture: SealPicture;
  readonly extDatas?: readonly SesExtData[];
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Makes a v4 SESeal and returns its DER. Throws `SEAL_INVALID_ARGUMENT` for unusable input and
 * `SEAL_SIGNER_FAILED` when the maker's signature does not verify with its certificate.
 *
 * @example
 * ```ts
 * const seal = await makeSeal({
 *   maker: newSoftwareSigner(maker.certificate, maker.privateKey),
 *   name: '某某局业务专用章', signerCertificates: [signer.certificate],
 *   validStart: new Date('2025-01-01Z'), validEnd: new Date('2030-01-01Z'),
 *   picture: { data: png, widthMm: 40, heightMm: 40 },
 * });
 * ```
 */
export async function makeSeal(options: MakeSealOptions): Promise<Uint8Array> {
  const makerCert = parseCertificate(options.maker.certificate, 'maker certificate');
  if (options.maker.algorithm !== 'SM2' || makerCert.publicKey.algorithm !== 'SM2') {
    throw sealError('SEAL_INVALID_ARGUMENT', 'a GB/T 38540 seal maker must hold an SM2 key and certificate');
  }
  const createDate = wholeSeconds(options.createDate ?? new Date(), 'createDate');
  const validStart = wholeSeconds(options.validStart, 'validStart');
  const validEnd = wholeSeconds(options.validEnd, 'validEnd');
  if (!(validEnd > validStart)) throw sealError('SEAL_INVALID_ARGUMENT', 'validEnd must be after validStart');
  if (!options.name.trim()) throw sealError('SEAL_INVALID_ARGUMENT', 'seal name is required');
  if (options.signerCertificates.length === 0) throw sealError('SEAL_INVALID_ARGUMENT', 'at least one signer certificate is required');
  for (const [i, der] of options.signerCertificates.entries()) {
    if (parseCertificate(der, `signer certificate ${i + 1}`).publicKey.algorithm !== 'SM2') {
      throw sealError('SEAL_INVALID_ARGUMENT', `signer certificate ${i + 1} is not SM2; GB/T 38540 signatures are SM2`);
    }
  }
  const picture = checkPicture(options.picture);
  const certList: SesCertList =
    options.certListType === 'digests'
      ? { type: 2, digests: options.signerCertificates.map((c) => ({ type: 'SM3', value: sm3(c) })) }
      : { type: 1, certs: options.signerCertificates.map((c) => new Uint8Array(c)) };

  const info: SesSealInfo = {
    header: { id: 'ES', version: SES_VERSION, vid: options.vendorId ?? DEFAULT_VENDOR_ID },
    esID: options.esID ?? randomBytes(16).toString('hex'),
    property: { type: options.type ?? 1, name: options.name, certList, createDate, validStart, validEnd },
    picture,
    ...(options.extDatas ? { extDatas: options.extDatas } : {}),
  };
  if (!info.esID) throw sealError('SEAL_INVALID_ARGUMENT', 'esID must not be empty');
  const infoDer = encodeSealInfo(info);
  const signedValue = await callSigner(options.maker, infoDer);
  if (!sm2Verify(infoDer, signedValue, makerCert.publicKey.point)) {
    throw sealError('SEAL_SIGNER_FAILED', "the maker's signature does not verify with the maker certificate");
  }
  return encodeSeal(infoDer, options.maker.certificate, OID.sm3WithSm2, signedValue);
}

function checkPicture(picture: SealPicture): SesSealInfo['picture'] {
  const type = picture.type ?? 'PNG';
  if (picture.data.length === 0) throw sealError('SEAL_INVALID_ARGUMENT', 'seal picture is empty');
  if (type.toUpperCase() === 'PNG' && !Buffer.from(picture.data.subarray(0, 8)).equals(PNG_MAGIC)) {
    throw sealError('SEAL_INVALID_ARGUMENT', 'seal picture is not a PNG file');
  }
  for (const [label, v] of [['widthMm', picture.widthMm], ['heightMm', picture.heightMm]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > 1000) throw sealError('SEAL_INVALID_ARGUMENT', `picture ${label} must be a whole number of millimetres (1..1000)`);
  }
  return { type, data: new Uint8Array(picture.data), width: picture.widthMm, height: picture.heightMm };
}
