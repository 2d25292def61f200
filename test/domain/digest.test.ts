import t from 'tap';
import fc from 'fast-check';
import { sm3 as referenceSm3 } from 'sm-crypto-v2';
import { DIGEST_PATTERN, createDigester, digestOf, parseDigest, sm3, type DigestAlgorithm } from '../../domain/digest';
import vectors from './vectors/digest.json';
import { throwsCoded } from './assert-coded';

const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

t.test('GB/T 32905 SM3 known answers', async (t) => {
  for (const v of vectors.sm3) {
    t.equal(sm3(v.ascii).toString('hex'), v.hex, v.source);
    t.equal(sm3(Buffer.from(v.ascii)).toString('hex'), v.hex);
    t.equal(digestOf(v.ascii), `sm3:${v.hex}`);
    t.equal(digestOf(new Uint8Array(Buffer.from(v.ascii)), 'sm3'), `sm3:${v.hex}`);
  }
  for (const v of vectors.sha256) t.equal(digestOf(v.ascii, 'sha256'), `sha256:${v.hex}`, v.source);
});

t.test('SM3 agrees with sm-crypto-v2 on random inputs', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => sm3(bytes).toString('hex') === referenceSm3(bytes)),
    { numRuns: 300 },
  );
  // Strings go to sm-crypto-v2 as UTF-8 bytes: its own string encoder is wrong from U+40000 up
  // (`point >>> 18 & 28` where UTF-8 needs `& 7`), see the pinned case below.
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => sm3(text).toString('hex') === referenceSm3(utf8(text))),
    { numRuns: 200 },
  );
  t.pass('300 byte arrays and 200 strings agree');
  t.equal(sm3('\u{40000}').toString('hex'), referenceSm3(utf8('\u{40000}')), 'we hash strings as UTF-8');
  t.not(referenceSm3('\u{40000}'), referenceSm3(utf8('\u{40000}')), 'sm-crypto-v2 string input is not UTF-8 here');
});

t.test('streaming digester equals the one-shot digest for any chunking', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }),
      fc.constantFrom<DigestAlgorithm>('sm3', 'sha256'),
      (chunks, algorithm) => {
        const digester = createDigester(algorithm);
        for (const chunk of chunks) digester.update(chunk);
        return digester.digest() === digestOf(Buffer.concat(chunks), algorithm);
      },
    ),
    { numRuns: 200 },
  );
  t.equal(createDigester().update('ab').update('c').digest(), `sm3:${vectors.sm3[0]?.hex}`, 'default sm3, chainable');
  const done = createDigester();
  done.digest();
  t.throws(() => done.digest(), 'a finished digester cannot be reused');
});

t.test('parseDigest is strict and DIGEST_PATTERN agrees with it', async (t) => {
  const pattern = new RegExp(DIGEST_PATTERN);
  for (const v of vectors.sm3) {
    const text = `sm3:${v.hex}`;
    t.same(parseDigest(text), { algorithm: 'sm3', hex: v.hex });
    t.ok(pattern.test(text));
  }
  t.same(parseDigest(digestOf('abc', 'sha256')), { algorithm: 'sha256', hex: vectors.sha256[0]?.hex });
  for (const text of vectors.invalidDigestStrings) {
    throwsCoded(t, () => parseDigest(text), 'VALIDATION_FAILED', 'digest must match', JSON.stringify(text));
    t.notOk(pattern.test(text), `pattern refuses ${JSON.stringify(text)}`);
  }
  throwsCoded(t, () => parseDigest(undefined as unknown as string), 'VALIDATION_FAILED');
});

t.test('unknown algorithms are refused', async (t) => {
  throwsCoded(t, () => digestOf('abc', 'md5' as DigestAlgorithm), 'VALIDATION_FAILED', 'md5');
  throwsCoded(t, () => createDigester('sha1' as DigestAlgorithm), 'VALIDATION_FAILED', 'sha1');
});
