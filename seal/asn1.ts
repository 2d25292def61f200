/**
 * GB/T 38540-2020 (安全电子签章密码技术规范) v4 structures: `SESeal` and `SES_Signature`, DER
 * encode and tolerant decode.
 *
 * The module text below was confirmed against (a) ofdrw's BouncyCastle classes
 * `org.ofdrw.gm.ses.v4.{SESeal, SES_SealInfo, SES_ESPropertyInfo, SES_CertList, CertInfoList,
 * CertDigestList, CertDigestObj, TBS_Sign, SES_Signature}` and `org.ofdrw.gm.ses.v1.{SES_Header,
 * SES_ESPictrueInfo, ExtensionDatas, ExtData}` (github.com/ofdrw/ofdrw, ofdrw-gm), for field order
 * and tagging; (b) the ASN.1 text quoted in a published walkthrough of GM/T 0031-2025 that lists
 * its changes from GB/T 38540-2020 (v5 adds `SESeal.timeStamp` and version 5; nothing else in these
 * definitions moved); (c) the OpenSSL-template C declarations in a public GM/T 0031 / GB/T 38540
 * parsing write-up. All agree on:
 *
 * ```asn1
 * SESeal ::= SEQUENCE {
 *   eSealInfo   SES_SealInfo,
 *   cert        OCTET STRING,            -- maker's certificate, DER
 *   signAlgID   OBJECT IDENTIFIER,       -- 1.2.156.10197.1.501
 *   signedValue BIT STRING }             -- maker's signature over DER(eSealInfo)
 * SES_SealInfo ::= SEQUENCE {
 *   header   SES_Header,
 *   esID     IA5String,
 *   property SES_ESPropertyInfo,
 *   picture  SES_ESPictureInfo,
 *   extDatas ExtensionDatas OPTIONAL }   -- untagged in the standard and in ofdrw
 * SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4), Vid IA5String }
 * SES_ESPropertyInfo ::= SEQUENCE {
 *   type INTEGER, name UTF8String, certListType INTEGER,   -- 1 certs, 2 digests
 *   certList SES_CertList,
 *   createDate GeneralizedTime, validStart GeneralizedTime, validEnd GeneralizedTime }
 * SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }
 *   -- both alternatives are SEQUENCE OF: certListType selects the one
 * CertInfoList ::= SEQUENCE OF OCTET STRING                 -- DER certificates
 * CertDigestList ::= SEQUENCE OF CertDigestObj
 * CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
 * SES_ESPictureInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER } -- mm
 * ExtensionDatas ::= SEQUENCE SIZE (0..MAX) OF ExtData
 * ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 *
 * SES_Signature ::= SEQUENCE {
 *   toSign         TBS_Sign,
 *   cert           OCTET STRING,         -- signer's certificate, DER
 *   signatureAlgID OBJECT IDENTIFIER,
 *   signature      BIT STRING,           -- signer's signature over DER(toSign)
 *   timeStamp  [0] BIT STRING OPTIONAL }
 * TBS_Sign ::= SEQUENCE {
 *   version      INTEGER (4),
 *   eseal        SESeal,
 *   timeInfo     GeneralizedTime,
 *   dataHash     BIT STRING,             -- SM3 of the protected bytes
 *   propertyInfo IA5String,
 *   extDatas [0] ExtensionDatas OPTIONAL }
 * ```
 *
 * Writing: as ofdrw does — `SES_SealInfo.extDatas` untagged, `TBS_Sign.extDatas` and
 * `SES_Signature.timeStamp` `[0] EXPLICIT`. Reading accepts each optional trailing field untagged,
 * `[0] EXPLICIT` or `[0] IMPLICIT` (implementations differ, standards.md §4), an ExtData with or
 * without the DEFAULT `critical`, and keeps the exact bytes of every signed part, so signatures are
 * checked over what was signed, not over a re-encoding.
 */
import * as asn1js from 'asn1js';
import { sealError } from './codes';

/** SES_Header: "ES", version 4, vendor ID. */
export interface SesHeader {
  /** Always "ES". */
  readonly id: string;
  readonly version: number;
  /** Vendor (厂商) identifier. */
  readonly vid: string;
}

/** ExtData: a vendor extension (critical DEFAULT FALSE). */
export interface SesExtData {
  readonly extnID: string;
  readonly critical: boolean;
  readonly extnValue: Uint8Array;
}

/** CertDigestObj: a signer certificate digest and its algorithm label. */
export interface SesCertDigest {
  /** Digest algorithm label, e.g. "SM3" (a PrintableString, free-form in the standard). */
  readonly type: string;
  readonly value: Uint8Array;
}

/** certListType 1: DER certificates; 2: certificate digests. */
export type SesCertList =
  | { readonly type: 1; readonly certs: readonly Uint8Array[] }
  | { readonly type: 2; readonly digests: readonly SesCertDigest[] };

/** SES_ESPropertyInfo: type, name, allowed signers, dates. */
export interface SesPropertyInfo {
  /** 印章类型, application-defined integer. */
  readonly type: number;
  readonly name: string;
  readonly certList: SesCertList;
  readonly createDate: Date;
  readonly validStart: Date;
  readonly validEnd: Date;
}

/** SES_ESPictureInfo: the seal image and its display size. */
export interface SesPictureInfo {
  /** "PNG", "GIF", "JPG", "BMP", "SVG", … */
  readonly type: string;
  readonly data: Uint8Array;
  /** Display size in millimetres. */
  readonly width: number;
  readonly height: number;
}

/** SES_SealInfo: what the seal maker signs. */
export interface SesSealInfo {
  readonly header: SesHeader;
  readonly esID: string;
  readonly property: SesPropertyInfo;
  readonly picture: SesPictureInfo;
  readonly extDatas?: readonly SesExtData[];
}

/** A decoded SESeal with the exact bytes it was read from. */
export interface DecodedSeal {
  readonly sealInfo: SesSealInfo;
  readonly cert: Uint8Array;
  readonly signAlgID: string;
  readonly signedValue: Uint8Array;
  /** The whole SESeal as received. */
  readonly der: Uint8Array;
  /** DER of SES_SealInfo as received: what the maker signed. */
  readonly sealInfoDer: Uint8Array;
}

/** A decoded SES_Signature with the exact bytes it was read from. */
export interface DecodedSignature {
  readonly version: number;
  readonly seal: DecodedSeal;
  readonly timeInfo: Date;
  readonly dataHash: Uint8Array;
  readonly propertyInfo: string;
  readonly extDatas?: readonly SesExtData[];
  readonly cert: Uint8Array;
  readonly signatureAlgID: string;
  readonly signature: Uint8Array;
  readonly timeStamp?: Uint8Array;
  readonly der: Uint8Array;
  /** DER of TBS_Sign as received: what the signer signed. */
  readonly tbsDer: Uint8Array;
}

/** The one version this module writes and reads. */
export const SES_VERSION = 4;

// ---------------------------------------------------------------------------------------------
// Encoding

/** DER of SES_SealInfo. */
export function encodeSealInfo(info: SesSealInfo): Uint8Array {
  const p = info.property;
  const certList =
    p.certList.type === 1
      ? seq(...p.certList.certs.map(octets))
      : seq(...p.certList.digests.map((d) => seq(ber(new asn1js.PrintableString({ value: printable(d.type, 'CertDigestObj.type') })), octets(d.value))));
  return seq(
    seq(ia5(info.header.id, 'SES_Header.ID'), int(info.header.version), ia5(info.header.vid, 'SES_Header.Vid')),
    ia5(info.esID, 'esID'),
    seq(
      int(p.type),
      ber(new asn1js.Utf8String({ value: p.name })),
      int(p.certList.type),
      certList,
      time(p.createDate),
      time(p.validStart),
      time(p.validEnd),
    ),
    seq(ia5(info.picture.type, 'picture.type'), octets(info.picture.data), int(info.picture.width), int(info.picture.height)),
    ...(info.extDatas ? [encodeExtDatas(info.extDatas)] : []),
  );
}

/** DER of SESeal from the exact SES_SealInfo bytes that were signed. */
export function encodeSeal(sealInfoDer: Uint8Array, makerCert: Uint8Array, signAlgID: string, signedValue: Uint8Array): Uint8Array {
  return seq(sealInfoDer, octets(makerCert), oid(signAlgID), bits(signedValue));
}

/** The fields of TBS_Sign (its version is always 4). */
export interface TbsSignFields {
  /** The SESeal exactly as issued (embedded byte for byte). */
  readonly sealDer: Uint8Array;
  readonly timeInfo: Date;
  readonly dataHash: Uint8Array;
  readonly propertyInfo: string;
  readonly extDatas?: readonly SesExtData[];
}

/** DER of TBS_Sign (version 4). */
export function encodeTbsSign(fields: TbsSignFields): Uint8Array {
  return seq(
    int(SES_VERSION),
    fields.sealDer,
    time(fields.timeInfo),
    bits(fields.dataHash),
    ia5(fields.propertyInfo, 'propertyInfo'),
    ...(fields.extDatas ? [explicit0(encodeExtDatas(fields.extDatas))] : []),
  );
}

/** DER of SES_Signature from the exact TBS_Sign bytes that were signed. */
export function encodeSignature(tbsDer: Uint8Array, signerCert: Uint8Array, signatureAlgID: string, signature: Uint8Array, timeStamp?: Uint8Array): Uint8Array {
  return seq(tbsDer, octets(signerCert), oid(signatureAlgID), bits(signature), ...(timeStamp ? [explicit0(bits(timeStamp))] : []));
}

function encodeExtDatas(list: readonly SesExtData[]): Uint8Array {
  // DER omits a DEFAULT value: critical appears only when TRUE.
  return seq(...list.map((e) => seq(oid(e.extnID), ...(e.critical ? [ber(new asn1js.Boolean({ value: true }))] : []), octets(e.extnValue))));
}

const ber = (block: { toBER(): ArrayBuffer }): Uint8Array => new Uint8Array(block.toBER());
const int = (n: number): Uint8Array => {
  if (!Number.isSafeInteger(n)) throw sealError('SEAL_INVALID_ARGUMENT', `not an integer: ${n}`);
  return ber(new asn1js.Integer({ value: n }));
};
const octets = (b: Uint8Array): Uint8Array => ber(new asn1js.OctetString({ valueHex: b }));
const bits = (b: Uint8Array): Uint8Array => ber(new asn1js.BitString({ valueHex: b }));
const oid = (o: string): Uint8Array => ber(new asn1js.ObjectIdentifier({ value: o }));

function ia5(value: string, field: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(value)) throw sealError('SEAL_INVALID_ARGUMENT', `${field} must be ASCII (IA5String): ${JSON.stringify(value)}`);
  return ber(new asn1js.IA5String({ value }));
}

function printable(value: string, field: string): string {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw sealError('SEAL_INVALID_ARGUMENT', `${field} is not a PrintableString`);
  return value;
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ`: whole seconds, UTC (fractions are legal but trip up readers). */
function time(date: Date): Uint8Array {
  if (Number.isNaN(date.getTime())) throw sealError('SEAL_INVALID_ARGUMENT', 'invalid date');
  const value = date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:T]/g, '');
  return ber(new asn1js.GeneralizedTime({ value }));
}

function explicit0(inner: Uint8Array): Uint8Array {
  return tlv(0xa0, inner);
}

/** SEQUENCE from already-encoded members (asn1js cannot splice pre-encoded bytes). */
function seq(...parts: Uint8Array[]): Uint8Array {
  return tlv(0x30, Buffer.concat(parts));
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  if (n >= 0x1000000) throw sealError('SEAL_INVALID_ARGUMENT', 'structure too large');
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len]), content]));
}

// ---------------------------------------------------------------------------------------------
// Decoding. Every failure is SEAL_MALFORMED naming the field path.

type Block = asn1js.AsnType;

class Malformed extends Error {}

const UNIVERSAL = 1;
const CONTEXT = 3;

/** Decodes a DER SESeal. Throws `SEAL_MALFORMED` for anything else. */
export function decodeSeal(der: Uint8Array): DecodedSeal {
  return guard('SESeal', () => readSeal(parseOne(der, 'SESeal'), 'SESeal'));
}

/** Decodes a DER SES_Signature (v4). Throws `SEAL_MALFORMED` for anything else. */
export function decodeSignature(der: Uint8Array): DecodedSignature {
  return guard('SES_Signature', () => {
    const path = 'SES_Signature';
    const [toSign, cert, algId, signature, timeStamp, ...rest] = children(parseOne(der, path), path, 4, 5);
    if (rest.length) throw new Malformed(`${path}: unexpected trailing fields`);
    const tbsPath = `${path}.toSign`;
    const [version, eseal, timeInfo, dataHash, propertyInfo, extDatas] = children(need(toSign), tbsPath, 5, 6);
    return signatureFrom(der, raw(need(toSign)), { version, timeInfo, dataHash, propertyInfo, extDatas, cert, algId, signature, timeStamp }, () =>
      readSeal(need(eseal), `${tbsPath}.eseal`),
    );
  });
}

/**
 * Decodes a DER SES_Signature as {@link decodeSignature} does, but takes its SESeal from `sealOf`
 * — e.g. a cache keyed by the seal's digest — rather than reading it again: the structure is
 * walked by its DER lengths and only the small fields are parsed (a seal, with its picture and
 * certificates, is most of a signature). `sealOf` gets the seal's exact bytes and a function that
 * reads them. The answer is the one {@link decodeSignature} gives: anything but definite-length
 * DER, and any refusal, is left to it, so errors read the same.
 */
export function decodeSignatureWithSeal(der: Uint8Array, sealOf: (sealDer: Uint8Array, read: () => DecodedSeal) => DecodedSeal): DecodedSignature {
  let fast: DecodedSignature | undefined;
  try {
    fast = guard('SES_Signature', () => {
      const top = definiteChildren(der);
      if (!top || top.length < 4 || top.length > 5) return undefined;
      const [toSignBytes, ...outer] = top as [Uint8Array, ...Uint8Array[]];
      const tbs = definiteChildren(toSignBytes);
      if (!tbs || tbs.length < 5 || tbs.length > 6) return undefined;
      const [versionBytes, esealBytes, ...fields] = tbs as [Uint8Array, Uint8Array, ...Uint8Array[]];
      const one = (bytes: Uint8Array | undefined): Block | undefined => (bytes === undefined ? undefined : parseOne(bytes, 'SES_Signature'));
      // OCTET and BIT STRINGs hold a certificate and an SM2 signature, which asn1js would parse too.
      const octets = (bytes: Uint8Array | undefined): Part => {
        const content = bytes && primitiveContent(bytes, 0x04);
        return content ? { direct: new Uint8Array(content) } : one(bytes);
      };
      const bits = (bytes: Uint8Array | undefined): Part => {
        const content = bytes && primitiveContent(bytes, 0x03);
        return content && content.length > 0 && content[0] === 0 ? { direct: content.slice(1) } : one(bytes);
      };
      const path = 'SES_Signature.toSign.eseal';
      return signatureFrom(
        der,
        new Uint8Array(toSignBytes),
        { version: one(versionBytes), timeInfo: one(fields[0]), dataHash: bits(fields[1]), propertyInfo: one(fields[2]), extDatas: one(fields[3]), cert: octets(outer[0]), algId: one(outer[1]), signature: bits(outer[2]), timeStamp: one(outer[3]) },
        () => sealOf(esealBytes, () => readSeal(parseOne(esealBytes, path), path)),
      );
    });
  } catch {
    fast = undefined;
  }
  return fast ?? decodeSignature(der);
}

/** A field as a block to read, or its value already read from a primitive DER encoding. */
type Part = Block | { readonly direct: Uint8Array } | undefined;

interface SignatureBlocks {
  readonly version: Block | undefined;
  readonly timeInfo: Block | undefined;
  readonly dataHash: Part;
  readonly propertyInfo: Block | undefined;
  readonly extDatas: Block | undefined;
  readonly cert: Part;
  readonly algId: Block | undefined;
  readonly signature: Part;
  readonly timeStamp: Block | undefined;
}

const directOr = (part: Part, read: (block: Block) => Uint8Array): Uint8Array => (part && 'direct' in part ? part.direct : read(need(part)));

/** The content of a primitive, definite-length TLV with tag byte `tag` spanning exactly `bytes`. */
function primitiveContent(bytes: Uint8Array, tag: number): Uint8Array | undefined {
  if (bytes[0] !== tag) return undefined;
  const tlv = definiteAt(bytes, 0);
  return tlv && tlv.end === bytes.length ? bytes.subarray(tlv.contentStart, tlv.end) : undefined;
}

/** The fields of an SES_Signature from its parts; the seal is read by `seal()` after the version. */
function signatureFrom(der: Uint8Array, tbsDer: Uint8Array, b: SignatureBlocks, seal: () => DecodedSeal): DecodedSignature {
  const path = 'SES_Signature';
  const tbsPath = `${path}.toSign`;
  const v = readVersion(need(b.version), `${tbsPath}.version`);
  return {
    version: v,
    seal: seal(),
    timeInfo: readTime(need(b.timeInfo), `${tbsPath}.timeInfo`),
    dataHash: directOr(b.dataHash, (block) => readBits(block, `${tbsPath}.dataHash`)),
    propertyInfo: readIa5(need(b.propertyInfo), `${tbsPath}.propertyInfo`),
    ...(b.extDatas ? { extDatas: readOptionalExtDatas(b.extDatas, `${tbsPath}.extDatas`) } : {}),
    cert: directOr(b.cert, (block) => readOctets(block, `${path}.cert`)),
    signatureAlgID: readOid(need(b.algId), `${path}.signatureAlgID`),
    signature: directOr(b.signature, (block) => readBits(block, `${path}.signature`)),
    ...(b.timeStamp ? { timeStamp: readOptionalBits(b.timeStamp, `${path}.timeStamp`) } : {}),
    der: new Uint8Array(der),
    tbsDer,
  };
}

function readVersion(block: Block, path: string): number {
  const v = readInt(block, path);
  if (v !== SES_VERSION) throw new Malformed(`${path} is ${v}; only v4 (GB/T 38540-2020) is supported`);
  return v;
}

/**
 * The children of a constructed universal SEQUENCE that spans exactly `bytes`, each as its exact
 * bytes — when every length involved is definite and low-tag-numbered; otherwise undefined.
 */
function definiteChildren(bytes: Uint8Array): Uint8Array[] | undefined {
  if (bytes[0] !== 0x30) return undefined;
  const outer = definiteAt(bytes, 0);
  if (!outer || outer.end !== bytes.length) return undefined;
  const result: Uint8Array[] = [];
  for (let at = outer.contentStart; at < outer.end; ) {
    const child = definiteAt(bytes, at);
    if (!child || child.end > outer.end) return undefined;
    result.push(bytes.subarray(at, child.end));
    at = child.end;
  }
  return result;
}

/** A definite-length, low-tag-number TLV at `offset`: where its content starts and where it ends. */
function definiteAt(bytes: Uint8Array, offset: number): { contentStart: number; end: number } | undefined {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f || first === 0x80) return undefined;
  let length = first;
  let contentStart = offset + 2;
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[offset + 2 + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  return end <= bytes.length ? { contentStart, end } : undefined;
}

function readSeal(block: Block, path: string): DecodedSeal {
  const [info, cert, algId, signedValue, ...rest] = children(block, path, 4, 4);
  if (rest.length) throw new Malformed(`${path}: unexpected trailing fields`);
  const infoPath = `${path}.eSealInfo`;
  const [header, esID, property, picture, extDatas] = children(need(info), infoPath, 4, 5);
  const [hid, hversion, hvid] = children(need(header), `${infoPath}.header`, 3, 3);
  const id = readIa5(need(hid), `${infoPath}.header.ID`);
  if (id !== 'ES') throw new Malformed(`${infoPath}.header.ID is ${JSON.stringify(id)}, expected "ES"`);
  const version = readInt(need(hversion), `${infoPath}.header.version`);
  if (version !== SES_VERSION) throw new Malformed(`${infoPath}.header.version is ${version}; only v4 (GB/T 38540-2020) is supported`);
  const propPath = `${infoPath}.property`;
  const [ptype, pname, listType, list, createDate, validStart, validEnd] = children(need(property), propPath, 7, 7);
  const certListType = readInt(need(listType), `${propPath}.certListType`);
  const picPath = `${infoPath}.picture`;
  const [pictype, picdata, width, height] = children(need(picture), picPath, 4, 4);
  return {
    sealInfo: {
      header: { id, version, vid: readIa5(need(hvid), `${infoPath}.header.Vid`) },
      esID: readIa5(need(esID), `${infoPath}.esID`),
      property: {
        type: readInt(need(ptype), `${propPath}.type`),
        name: readUtf8(need(pname), `${propPath}.name`),
        certList: readCertList(need(list), certListType, `${propPath}.certList`),
        createDate: readTime(need(createDate), `${propPath}.createDate`),
        validStart: readTime(need(validStart), `${propPath}.validStart`),
        validEnd: readTime(need(validEnd), `${propPath}.validEnd`),
      },
      picture: {
        type: readIa5(need(pictype), `${picPath}.type`),
        data: readOctets(need(picdata), `${picPath}.data`),
        width: readInt(need(width), `${picPath}.width`),
        height: readInt(need(height), `${picPath}.height`),
      },
      ...(extDatas ? { extDatas: readOptionalExtDatas(extDatas, `${infoPath}.extDatas`) } : {}),
    },
    cert: readOctets(need(cert), `${path}.cert`),
    signAlgID: readOid(need(algId), `${path}.signAlgID`),
    signedValue: readBits(need(signedValue), `${path}.signedValue`),
    der: raw(block),
    sealInfoDer: raw(need(info)),
  };
}

function readCertList(block: Block, type: number, path: string): SesCertList {
  const items = children(block, path, 0, Infinity);
  if (type === 1) return { type: 1, certs: items.map((b, i) => readOctets(b, `${path}[${i}]`)) };
  if (type === 2) {
    return {
      type: 2,
      digests: items.map((b, i) => {
        const [t, v] = children(b, `${path}[${i}]`, 2, 2);
        return { type: readString(need(t), 19, `${path}[${i}].type`), value: readOctets(need(v), `${path}[${i}].value`) };
      }),
    };
  }
  throw new Malformed(`${path}: certListType ${type} is neither 1 (certificates) nor 2 (digests)`);
}

/** ExtensionDatas that may be untagged, [0] EXPLICIT or [0] IMPLICIT. */
function readOptionalExtDatas(block: Block, path: string): SesExtData[] {
  const { tagClass, tagNumber } = block.idBlock;
  if (tagClass === UNIVERSAL && tagNumber === 16) return readExtDatas(block, path);
  if (tagClass === CONTEXT && tagNumber === 0 && block.idBlock.isConstructed) {
    const inner = children(block, path, 0, Infinity, true);
    const first = inner[0];
    // EXPLICIT: [0] { SEQUENCE OF ExtData } — the single child's own first child is an ExtData (or nothing).
    // IMPLICIT: [0] { ExtData, … } — each child starts with an OID.
    const explicit = inner.length === 1 && first !== undefined && isSequence(first) && !startsWithOid(first);
    return explicit ? readExtDatas(first, path) : inner.map((b, i) => readExtData(b, `${path}[${i}]`));
  }
  throw new Malformed(`${path}: expected ExtensionDatas, untagged or [0]`);
}

function readExtDatas(block: Block, path: string): SesExtData[] {
  return children(block, path, 0, Infinity).map((b, i) => readExtData(b, `${path}[${i}]`));
}

function readExtData(block: Block, path: string): SesExtData {
  const parts = children(block, path, 2, 3);
  const extnID = readOid(need(parts[0]), `${path}.extnID`);
  let critical = false;
  if (parts.length === 3) {
    const b = need(parts[1]);
    if (!(b instanceof asn1js.Boolean)) throw new Malformed(`${path}.critical: expected BOOLEAN`);
    critical = b.valueBlock.value;
  }
  return { extnID, critical, extnValue: readOctets(need(parts[parts.length - 1]), `${path}.extnValue`) };
}

/** BIT STRING that may be untagged, [0] EXPLICIT or [0] IMPLICIT. */
function readOptionalBits(block: Block, path: string): Uint8Array {
  const { tagClass, tagNumber, isConstructed } = block.idBlock;
  if (tagClass === UNIVERSAL && tagNumber === 3) return readBits(block, path);
  if (tagClass === CONTEXT && tagNumber === 0) {
    if (isConstructed) {
      const [inner, extra] = children(block, path, 1, 1, true);
      if (extra) throw new Malformed(`${path}: more than one element in [0]`);
      return readBits(need(inner), path);
    }
    const content = valueBytes(block);
    if (content.length === 0 || content[0] !== 0) throw new Malformed(`${path}: BIT STRING with unused bits`);
    return content.slice(1);
  }
  throw new Malformed(`${path}: expected BIT STRING, untagged or [0]`);
}

function parseOne(der: Uint8Array, path: string): Block {
  if (!(der instanceof Uint8Array) || der.length === 0) throw new Malformed(`${path}: empty input`);
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) throw new Malformed(`${path}: not DER (${parsed.result.error || 'unreadable'})`);
  if (parsed.offset !== der.length) throw new Malformed(`${path}: ${der.length - parsed.offset} trailing byte(s) after the structure`);
  return parsed.result;
}

function children(block: Block, path: string, min: number, max: number, anyTag = false): Block[] {
  if (!anyTag && !isSequence(block)) throw new Malformed(`${path}: expected SEQUENCE`);
  const value = (block.valueBlock as { value?: unknown }).value;
  if (!block.idBlock.isConstructed || !Array.isArray(value)) throw new Malformed(`${path}: expected a constructed value`);
  if (value.length < min || value.length > max) {
    throw new Malformed(`${path}: ${value.length} element(s), expected ${min === max ? min : `${min}..${max}`}`);
  }
  return value as Block[];
}

function need(block: Block | undefined): Block {
  if (!block) throw new Malformed('missing element');
  return block;
}

const isSequence = (b: Block): boolean => b.idBlock.tagClass === UNIVERSAL && b.idBlock.tagNumber === 16 && b.idBlock.isConstructed;

function startsWithOid(b: Block): boolean {
  const value = (b.valueBlock as { value?: unknown }).value;
  const first = Array.isArray(value) ? (value[0] as Block | undefined) : undefined;
  return first !== undefined && first.idBlock.tagClass === UNIVERSAL && first.idBlock.tagNumber === 6;
}

function expectPrimitive(block: Block, tagNumber: number, path: string, what: string): void {
  const id = block.idBlock;
  if (id.tagClass !== UNIVERSAL || id.tagNumber !== tagNumber) throw new Malformed(`${path}: expected ${what}`);
  if (id.isConstructed) throw new Malformed(`${path}: constructed ${what} is not DER`);
}

function valueBytes(block: Block): Uint8Array {
  return new Uint8Array((block.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView);
}

function readInt(block: Block, path: string): number {
  expectPrimitive(block, 2, path, 'INTEGER');
  const n = (block as asn1js.Integer).toBigInt();
  if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed(`${path}: integer out of range`);
  return Number(n);
}

function readOctets(block: Block, path: string): Uint8Array {
  expectPrimitive(block, 4, path, 'OCTET STRING');
  return valueBytes(block);
}

function readBits(block: Block, path: string): Uint8Array {
  expectPrimitive(block, 3, path, 'BIT STRING');
  if ((block as asn1js.BitString).valueBlock.unusedBits !== 0) throw new Malformed(`${path}: BIT STRING with unused bits`);
  return valueBytes(block);
}

function readOid(block: Block, path: string): string {
  expectPrimitive(block, 6, path, 'OBJECT IDENTIFIER');
  return (block as asn1js.ObjectIdentifier).getValue();
}

function readIa5(block: Block, path: string): string {
  return readString(block, 22, path);
}

function readUtf8(block: Block, path: string): string {
  return readString(block, 12, path);
}

const STRING_NAMES: Record<number, string> = { 12: 'UTF8String', 19: 'PrintableString', 22: 'IA5String' };

function readString(block: Block, tagNumber: number, path: string): string {
  expectPrimitive(block, tagNumber, path, STRING_NAMES[tagNumber] ?? 'string');
  const bytes = valueBytes(block);
  if (tagNumber === 12) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new Malformed(`${path}: invalid UTF-8`);
    }
  }
  if (bytes.some((c) => c > 0x7f)) throw new Malformed(`${path}: non-ASCII byte in ${STRING_NAMES[tagNumber]}`);
  return Buffer.from(bytes).toString('latin1');
}

const GENERALIZED = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{4})$/;

/** GeneralizedTime with seconds and an explicit zone (Z or ±hhmm); local times are ambiguous. */
function readTime(block: Block, path: string): Date {
  const id = block.idBlock;
  if (id.tagClass !== UNIVERSAL || (id.tagNumber !== 24 && id.tagNumber !== 23) || id.isConstructed) {
    throw new Malformed(`${path}: expected GeneralizedTime`);
  }
  const text = Buffer.from(valueBytes(block)).toString('latin1');
  if (id.tagNumber === 23) {
    // UTCTime is not what v4 says, but GM/T 0031-2014 (v1) writers used it; read it rather than fail.
    const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!m) throw new Malformed(`${path}: invalid UTCTime ${JSON.stringify(text)}`);
    const yy = Number(m[1]);
    return utcDate([yy >= 50 ? 1900 + yy : 2000 + yy, ...m.slice(2, 7).map(Number)], 0, 0, path, text);
  }
  const m = GENERALIZED.exec(text);
  if (!m) throw new Malformed(`${path}: invalid GeneralizedTime ${JSON.stringify(text)} (needs seconds and a zone)`);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const zone = m[8] as string;
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
  return utcDate(m.slice(1, 7).map(Number), ms, offset, path, text);
}

/** Builds the instant, refusing impossible calendar values (Date.UTC would roll 30 Feb into March). */
function utcDate(fields: number[], ms: number, offsetMinutes: number, path: string, text: string): Date {
  const [y, mo, d, h, mi, s] = fields as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  const ok =
    local.getUTCFullYear() === y && local.getUTCMonth() === mo - 1 && local.getUTCDate() === d &&
    local.getUTCHours() === h && local.getUTCMinutes() === mi && local.getUTCSeconds() === s;
  if (!ok) throw new Malformed(`${path}: impossible date ${JSON.stringify(text)}`);
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

function raw(block: Block): Uint8Array {
  return new Uint8Array(block.valueBeforeDecodeView);
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const detail = error instanceof Malformed ? error.message : `${what}: not DER (${(error as Error).message})`;
    throw sealError('SEAL_MALFORMED', detail, error);
  }
}
