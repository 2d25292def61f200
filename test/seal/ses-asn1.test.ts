import t from 'tap';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import {
  decodeSeal,
  decodeSignature,
  encodeSeal,
  encodeSealInfo,
  encodeSignature,
  encodeTbsSign,
  type SesExtData,
  type SesSealInfo,
} from '../../seal/asn1';
import { CodedError } from '../../domain/coded-error';
import { OID } from '../../seal/oids';
import { documentDigest, signWithSeal } from '../../seal/ses-signature';
import { newSoftwareSigner } from '../../seal/signer';
import { sm2Sign } from '../../seal/sm2';
import { verifySeal, verifySealSignature } from '../../seal/verify';
import { sealFor, sm2Pki, throwsCode, tlv } from './support';

const pki = sm2Pki();
const roots = [pki.ca.certificate];
const doc = new TextEncoder().encode('license document');
const digest = documentDigest(doc);
const ext: SesExtData[] = [
  { extnID: '1.2.156.112562.1.1', critical: false, extnValue: new Uint8Array([1, 2, 3]) },
  { extnID: '1.2.156.112562.1.2', critical: true, extnValue: new TextEncoder().encode('vendor data') },
];

const sm2Key = (k: (typeof pki)['signer']): Uint8Array => {
  if (k.privateKey.algorithm !== 'SM2') throw new Error('SM2 expected');
  return k.privateKey.privateKey;
};

/** Raw DER of the members of a SEQUENCE. */
function members(der: Uint8Array): Uint8Array[] {
  const parsed = asn1js.fromBER(der).result as asn1js.Sequence;
  return parsed.valueBlock.value.map((b) => new Uint8Array(b.valueBeforeDecodeView));
}
const seq = (parts: Uint8Array[]): Uint8Array => tlv(0x30, Buffer.concat(parts));
/** The three ways implementations write an optional trailing ExtensionDatas / BIT STRING. */
const untagged = (x: Uint8Array): Uint8Array => x;
const explicit0 = (x: Uint8Array): Uint8Array => tlv(0xa0, x);
const implicit0 = (x: Uint8Array): Uint8Array => new Uint8Array([x[0] === 0x30 ? 0xa0 : 0x80, ...x.subarray(1)]);

function sealInfo(extDatas?: SesExtData[]): SesSealInfo {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return {
    header: { id: 'ES', version: 4, vid: 'OtherVendor' },
    esID: 'VARIANT-1',
    property: {
      type: 2,
      name: '合同专用章',
      certList: { type: 1, certs: [pki.signer.certificate] },
      createDate: new Date(now - 86_400_000),
      validStart: new Date(now - 86_400_000),
      validEnd: new Date(now + 86_400_000),
    },
    picture: { type: 'PNG', data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), width: 30, height: 30 },
    ...(extDatas ? { extDatas } : {}),
  };
}

/** A seal whose SES_SealInfo is `infoDer`, signed by the maker. */
function sealFromInfo(infoDer: Uint8Array): Uint8Array {
  return encodeSeal(infoDer, pki.maker.certificate, OID.sm3WithSm2, sm2Sign(infoDer, sm2Key(pki.maker)));
}

/** A signature whose TBS_Sign is `tbsDer`, signed by the signer, with an optional raw trailing field. */
function signatureFromTbs(tbsDer: Uint8Array, trailing?: Uint8Array): Uint8Array {
  const sig = sm2Sign(tbsDer, sm2Key(pki.signer));
  const base = members(encodeSignature(tbsDer, pki.signer.certificate, OID.sm3WithSm2, sig));
  return seq(trailing ? [...base, trailing] : base);
}

t.test('optional fields: untagged, [0] EXPLICIT and [0] IMPLICIT all read', async (t) => {
  for (const [label, wrap] of [['untagged', untagged], ['[0] EXPLICIT', explicit0], ['[0] IMPLICIT', implicit0]] as const) {
    // SES_SealInfo.extDatas
    const standard = members(encodeSealInfo(sealInfo(ext)));
    const last = standard.pop() as Uint8Array;
    const seal = sealFromInfo(seq([...standard, wrap(last)]));
    t.same(decodeSeal(seal).sealInfo.extDatas, ext, `SES_SealInfo.extDatas ${label}`);
    t.same(verifySeal(seal, { trustedRoots: roots }).checks.map((c) => c.code), ['OK', 'OK'], `seal verifies (${label})`);

    // TBS_Sign.extDatas (written [0] EXPLICIT by us).
    const tbs = members(encodeTbsSign({ sealDer: seal, timeInfo: new Date(Math.floor(Date.now() / 1000) * 1000), dataHash: digest, propertyInfo: 'LIC', extDatas: ext }));
    const tbsExt = tbs.pop() as Uint8Array;
    const inner = tbsExt.subarray(2); // strip our A0 header (short length)
    const tbsDer = seq([...tbs, wrap(inner)]);
    // SES_Signature.timeStamp (written [0] EXPLICIT by us).
    const stamp = new Uint8Array(new asn1js.BitString({ valueHex: new Uint8Array([9, 8, 7]) }).toBER());
    const signature = signatureFromTbs(tbsDer, wrap(stamp));
    const decoded = decodeSignature(signature);
    t.same(decoded.extDatas, ext, `TBS_Sign.extDatas ${label}`);
    t.same(decoded.timeStamp, new Uint8Array([9, 8, 7]), `SES_Signature.timeStamp ${label}`);
    const result = verifySealSignature({ signature, digest, trustedRoots: roots });
    t.ok(result.ok, `verifies (${label})`);
    t.equal(result.facts.timeStampPresent, true);
  }
});

t.test('ExtData with an explicit DEFAULT critical FALSE (ofdrw writes it) and empty lists', async (t) => {
  const oid = new Uint8Array(new asn1js.ObjectIdentifier({ value: '1.2.3.4' }).toBER());
  const falseBool = new Uint8Array([0x01, 0x01, 0x00]);
  const value = new Uint8Array(new asn1js.OctetString({ valueHex: new Uint8Array([5]) }).toBER());
  const standard = members(encodeSealInfo(sealInfo()));
  const seal = sealFromInfo(seq([...standard, seq([seq([oid, falseBool, value])])]));
  t.same(decodeSeal(seal).sealInfo.extDatas, [{ extnID: '1.2.3.4', critical: false, extnValue: new Uint8Array([5]) }]);
  t.same(decodeSeal(sealFromInfo(seq([...standard, tlv(0xa0, new Uint8Array(0))]))).sealInfo.extDatas, [], 'empty [0] IMPLICIT');
  t.same(decodeSeal(sealFromInfo(seq([...standard, tlv(0xa0, seq([]))]))).sealInfo.extDatas, [], 'empty [0] EXPLICIT');
});

t.test('our encoding follows ofdrw: SealInfo extDatas untagged, TBS extDatas and timeStamp [0] EXPLICIT', async (t) => {
  const info = members(encodeSealInfo(sealInfo(ext)));
  t.equal(info[4]?.[0], 0x30);
  const tbs = members(encodeTbsSign({ sealDer: sealFromInfo(encodeSealInfo(sealInfo())), timeInfo: new Date(0), dataHash: digest, propertyInfo: 'x', extDatas: ext }));
  t.equal(tbs[5]?.[0], 0xa0);
  t.equal(tbs[5]?.[2], 0x30, 'EXPLICIT: the SEQUENCE OF is inside');
  t.equal(Buffer.from(tbs[2] as Uint8Array).subarray(2).toString('latin1'), '19700101000000Z', 'GeneralizedTime, whole seconds, Z');
  const sig = members(encodeSignature(seq(tbs), pki.signer.certificate, OID.sm3WithSm2, new Uint8Array([1]), new Uint8Array([2])));
  t.same([...(sig[4] as Uint8Array)], [0xa0, 0x04, 0x03, 0x02, 0x00, 0x02]);
});

t.test('malformed input is SEAL_MALFORMED, naming what is wrong', async (t) => {
  const seal = await sealFor(pki);
  const signature = await signWithSeal({ seal, signer: newSoftwareSigner(pki.signer.certificate, pki.signer.privateKey), content: doc, propertyInfo: 'LIC' });
  const verify = (sig: Uint8Array) => () => verifySealSignature({ signature: sig, content: doc, trustedRoots: roots });

  for (const cut of [1, 2, 10, 100, signature.length / 2, signature.length - 1]) {
    throwsCode(t, verify(signature.subarray(0, Math.floor(cut))), 'SEAL_MALFORMED', undefined, `truncated to ${Math.floor(cut)} bytes`);
  }
  throwsCode(t, verify(new Uint8Array(0)), 'SEAL_MALFORMED', undefined, 'empty');
  throwsCode(t, verify(new Uint8Array(Buffer.from('this is not DER at all'))), 'SEAL_MALFORMED', undefined, 'text');
  throwsCode(t, verify(new Uint8Array(512).map((_, i) => (i * 7919) & 0xff)), 'SEAL_MALFORMED', undefined, 'garbage');
  throwsCode(t, verify(new Uint8Array([...signature, 0])), 'SEAL_MALFORMED', /trailing/, 'trailing byte');
  throwsCode(t, verify(seq([new Uint8Array([0x02, 0x01, 0x04])])), 'SEAL_MALFORMED', /SES_Signature/, 'wrong shape');
  throwsCode(t, () => decodeSeal(signature), 'SEAL_MALFORMED', /SESeal/, 'a signature is not a seal');

  // Wrong OIDs: SM3withSM2 → ecdsa-with-SHA256 (same length), in the signature and in the seal.
  const sm2Oid = Buffer.from('06082a811ccf55018375', 'hex');
  const ecdsaOid = Buffer.from('06082a8648ce3d040302', 'hex');
  const swapLast = (der: Uint8Array): Uint8Array => {
    const copy = Buffer.from(der);
    const at = copy.lastIndexOf(sm2Oid);
    ecdsaOid.copy(copy, at);
    return new Uint8Array(copy);
  };
  throwsCode(t, verify(swapLast(signature)), 'SEAL_MALFORMED', /signatureAlgID/, 'signature algorithm OID');
  const badSeal = swapLast(seal);
  throwsCode(t, () => verifySeal(badSeal, { trustedRoots: roots }), 'SEAL_MALFORMED', /signAlgID/, 'seal algorithm OID');

  // Structure-level refusals.
  const info = sealInfo();
  throwsCode(t, () => decodeSeal(sealFromInfo(encodeSealInfo({ ...info, header: { ...info.header, version: 1 } }))), 'SEAL_MALFORMED', /only v4/);
  throwsCode(t, () => decodeSeal(sealFromInfo(encodeSealInfo({ ...info, header: { ...info.header, id: 'EX' } }))), 'SEAL_MALFORMED', /"ES"/);
  const withType3 = members(encodeSealInfo(info));
  const prop = members(withType3[2] as Uint8Array);
  prop[2] = new Uint8Array([0x02, 0x01, 0x03]);
  withType3[2] = seq(prop);
  throwsCode(t, () => decodeSeal(sealFromInfo(seq(withType3))), 'SEAL_MALFORMED', /certListType 3/);
  const badTime = members(encodeSealInfo(info));
  const prop2 = members(badTime[2] as Uint8Array);
  prop2[6] = tlv(0x18, new Uint8Array(Buffer.from('20250230120000Z')));
  badTime[2] = seq(prop2);
  throwsCode(t, () => decodeSeal(sealFromInfo(seq(badTime))), 'SEAL_MALFORMED', /validEnd/, 'impossible date');
  prop2[6] = tlv(0x18, new Uint8Array(Buffer.from('2025')));
  badTime[2] = seq(prop2);
  throwsCode(t, () => decodeSeal(sealFromInfo(seq(badTime))), 'SEAL_MALFORMED', undefined, 'short GeneralizedTime');

  // A seal whose maker certificate is garbage.
  const garbageCert = encodeSeal(encodeSealInfo(info), new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), OID.sm3WithSm2, new Uint8Array(70));
  throwsCode(t, () => verifySeal(garbageCert, { trustedRoots: roots }), 'SEAL_MALFORMED', /SESeal\.cert/);
});

t.test('random corruption never escapes as anything but SEAL_MALFORMED or a failed check', async (t) => {
  const seal = await sealFor(pki);
  const signature = await signWithSeal({ seal, signer: newSoftwareSigner(pki.signer.certificate, pki.signer.privateKey), content: doc, propertyInfo: 'LIC' });
  let malformed = 0;
  let failed = 0;
  fc.assert(
    fc.property(fc.nat(signature.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (index, xor, truncate) => {
      const mutated = new Uint8Array(signature);
      mutated[index] = (mutated[index] as number) ^ xor;
      const input = truncate ? mutated.subarray(0, index + 1) : mutated;
      try {
        const result = verifySealSignature({ signature: input, content: doc, trustedRoots: roots });
        if (!result.ok) failed++;
        return true;
      } catch (error) {
        malformed++;
        return error instanceof CodedError && error.code === 'SEAL_MALFORMED';
      }
    }),
    { numRuns: 250, seed: 38540 },
  );
  t.ok(malformed > 0 && failed > 0, `both outcomes seen (${malformed} malformed, ${failed} failed checks)`);
});
