/**
 * The signer's self-check of SM2 signatures answers exactly as sm2Verify: good signatures, altered
 * r or s, another message, another key's signature, r + s = n, malformed DER — and refuses to be
 * made for a private key that is not the public key's.
 */
import t from 'tap';
import { Sm2SelfCheck } from '../../seal/sm2-self-check';
import { decodeSm2Signature, encodeSm2Signature, generateSm2KeyPair, sm2Sign, sm2Verify } from '../../seal/sm2';

const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

t.test('same answers as sm2Verify', async (t) => {
  const key = generateSm2KeyPair();
  const other = generateSm2KeyPair();
  const check = new Sm2SelfCheck(key.privateKey, key.publicKey);
  let compared = 0;
  for (let i = 0; i < 60; i++) {
    const message = new TextEncoder().encode(`message ${i} ${'x'.repeat(i * 50)}`);
    const signature = sm2Sign(message, key.privateKey, { publicKey: key.publicKey });
    const { r, s } = decodeSm2Signature(signature)!;
    const candidates: Array<[Uint8Array, Uint8Array, string]> = [
      [message, signature, 'good'],
      [message, encodeSm2Signature(r, (s + 1n) % N), 's + 1'],
      [message, encodeSm2Signature((r + 1n) % N, s), 'r + 1'],
      [message, encodeSm2Signature(r, (N - r) % N || 1n), 'r + s = n'],
      [new TextEncoder().encode(`other ${i}`), signature, 'other message'],
      [message, sm2Sign(message, other.privateKey, { publicKey: other.publicKey }), "another key's signature"],
      [message, signature.subarray(0, signature.length - 1), 'truncated DER'],
      [message, new Uint8Array(64).fill(1), 'raw r||s (not DER)'],
    ];
    for (const [m, sig, what] of candidates) {
      const expected = what === 'raw r||s (not DER)' ? false : sm2Verify(m, sig, key.publicKey);
      if (check.verifies(m, sig) !== expected) t.fail(`${what} (${i}): expected ${expected}`);
      compared++;
    }
    if (!check.verifies(message, signature)) t.fail(`good signature ${i} fails`);
  }
  t.equal(compared, 480);
  t.ok(check.verifies(new Uint8Array([1]), sm2Sign(new Uint8Array([1]), key.privateKey, { userId: 'ALICE123@YAHOO.COM' }), { userId: 'ALICE123@YAHOO.COM' }), 'user ID');
});

t.test('made only for a matching key pair', async (t) => {
  const key = generateSm2KeyPair();
  t.throws(() => new Sm2SelfCheck(key.privateKey, generateSm2KeyPair().publicKey), /not the public key/);
});
