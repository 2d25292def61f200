import t from 'tap';
import { canonicalBytes, canonicalJson } from '../../domain/canonical-json';
import vectors from './vectors/canonical-json.json';
import { throwsCoded } from './assert-coded';

function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

t.test('RFC 8785 examples', async (t) => {
  for (const e of vectors.examples) {
    const value: unknown = JSON.parse(e.input);
    t.equal(canonicalJson(value), e.output, e.name);
    t.equal(canonicalBytes(value).toString('hex'), e.utf8Hex, `${e.name}: bytes`);
    t.equal(canonicalJson(JSON.parse(e.output)), e.output, `${e.name}: idempotent`);
  }
});

t.test('RFC 8785 Appendix B number serialisation', async (t) => {
  for (const { ieee754, text } of vectors.numbers) {
    t.equal(canonicalJson(fromBits(ieee754)), text, ieee754);
    t.equal(canonicalJson([fromBits(ieee754)]), `[${text}]`);
  }
  for (const bits of vectors.nonFinite) {
    throwsCoded(t, () => canonicalJson(fromBits(bits)), 'VALIDATION_FAILED', 'non-finite', bits);
  }
});

t.test('key order does not change the bytes', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}');
  t.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  t.equal(canonicalJson(Object.assign(Object.create(null) as object, { z: true, y: '中文' })), '{"y":"中文","z":true}');
  t.equal(canonicalJson('x'), '"x"');
  t.equal(canonicalJson(-0), '0');
});

t.test('values without a faithful JSON form are refused, naming the path', async (t) => {
  class Licence {
    id = 'x';
  }
  const circular: Record<string, unknown> = { a: 1 };
  circular['self'] = circular;
  const shared = { k: 1 };
  t.equal(canonicalJson({ a: shared, b: [shared] }), '{"a":{"k":1},"b":[{"k":1}]}', 'shared (acyclic) references are fine');
  const cases: Array<[unknown, string]> = [
    [undefined, 'undefined at $'],
    [{ a: undefined }, 'undefined at $.a'],
    [[1, undefined], 'undefined at $[1]'],
    [[1, , 3], 'undefined at $[1]'],
    [{ 'a b': [Number.NaN] }, 'non-finite number NaN at $["a b"][0]'],
    [{ x: Number.POSITIVE_INFINITY }, 'non-finite number Infinity at $.x'],
    [{ x: -Infinity }, 'non-finite'],
    [{ n: 10n }, 'bigint at $.n'],
    [{ f: () => 1 }, 'function at $.f'],
    [{ s: Symbol('s') }, 'symbol at $.s'],
    [{ [Symbol('k')]: 1 }, 'symbol-keyed property at $'],
    [{ d: new Date(0) }, 'a Date at $.d'],
    [{ b: Buffer.from('x') }, 'a Buffer at $.b'],
    [{ m: new Map() }, 'a Map at $.m'],
    [new Licence(), 'a Licence at $'],
    [{ s: 'a\uD800b' }, 'lone surrogate at $.s'],
    [{ ['\uDC00']: 1 }, 'property name with a lone surrogate'],
    [circular, 'circular reference at $.self'],
  ];
  for (const [value, fragment] of cases) {
    throwsCoded(t, () => canonicalJson(value), 'VALIDATION_FAILED', fragment, fragment);
  }
  throwsCoded(t, () => canonicalBytes({ a: undefined }), 'VALIDATION_FAILED', '$.a');
});
