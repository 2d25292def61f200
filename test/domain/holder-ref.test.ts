import t from 'tap';
import { sm3 as referenceSm3 } from 'sm-crypto-v2';
import { HOLDER_REF_PATTERN, holderRef } from '../../domain/holder-ref';
import vectors from './vectors/holder-ref.json';
import { throwsCoded } from './assert-coded';

t.test('known answers (HMAC-SM3 by sm-crypto-v2)', async (t) => {
  const pattern = new RegExp(HOLDER_REF_PATTERN);
  for (const v of vectors.vectors) {
    const key = Buffer.from(v.keyHex, 'hex');
    const ref = holderRef(key, v.codeType, v.code);
    t.equal(ref, v.ref, `${v.codeType} ${JSON.stringify(v.code)}`);
    t.ok(pattern.test(ref));
    t.equal(`hr:${referenceSm3(v.message, { key: new Uint8Array(key) })}`, v.ref, 'vector matches its message');
  }
});

t.test('normalisation: case and surrounding space do not change the reference', async (t) => {
  const key = Buffer.alloc(32, 7);
  t.equal(holderRef(key, '111', '11010519491231002x'), holderRef(key, '111', '11010519491231002X'));
  t.equal(holderRef(key, '001', ' 91350100m000100y43'), holderRef(key, '001', '91350100M000100Y43'));
  t.not(holderRef(key, '111', '11010519491231002X'), holderRef(Buffer.alloc(32, 8), '111', '11010519491231002X'), 'key matters');
  t.not(holderRef(key, '414', 'E12345678'), holderRef(key, '999', 'E12345678'), 'code type matters');
});

t.test('keys shorter than 16 bytes and invalid codes are refused', async (t) => {
  t.throws(() => holderRef(Buffer.alloc(15), '111', '11010519491231002X'), RangeError);
  t.throws(() => holderRef('0123456789abcdef' as unknown as Uint8Array, '111', '11010519491231002X'), RangeError);
  t.ok(holderRef(new Uint8Array(16), '111', '11010519491231002X').startsWith('hr:'), '16 bytes suffice');
  throwsCoded(t, () => holderRef(Buffer.alloc(16), '111', '110105194912310021'), 'INVALID_HOLDER_CODE');
  throwsCoded(t, () => holderRef(Buffer.alloc(16), '777', 'X'), 'INVALID_HOLDER_CODE');
});
