import { createPrivateKey, createPublicKey, sign as sign_, verify } from 'node:crypto';
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { isLowS, newNodeSigner, toLowS, verifyNodeSignature } from '../../certs/signer';
import { pemArmour } from '../support/pem';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** r and s of a DER ECDSA signature (test-side parser, independent of the signer's). */
function rs(der: Uint8Array): { r: bigint; s: bigint } {
  const b = Buffer.from(der);
  const rLen = b[3] as number;
  const r = BigInt(`0x${b.subarray(4, 4 + rLen).toString('hex')}`);
  const sLen = b[5 + rLen] as number;
  const s = BigInt(`0x${b.subarray(6 + rLen, 6 + rLen + sLen).toString('hex')}`);
  return { r, s };
}

/** DER of (r, s), minimal integers. */
function der(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): Buffer => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
    return Buffer.concat([Buffer.of(2, bytes.length), bytes]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

t.test('signatures verify with node:crypto and are all low-S', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const alice = await ca.issueIdentity({ commonName: 'alice' });
  const sign = newNodeSigner(alice.privateKey);
  const publicKey = createPublicKey(alice.privateKey);
  const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`proposal ${i}`));
  const signatures = await Promise.all(messages.map((m) => sign(m)));
  let allLow = true;
  let allVerify = true;
  for (const [i, signature] of signatures.entries()) {
    const m = messages[i] as Buffer;
    allVerify &&= verify('sha256', m, publicKey, signature) && verifyNodeSignature(alice.certificate, m, signature);
    allLow &&= rs(signature).s <= N / 2n;
  }
  t.ok(allVerify, '200 signatures verify (node:crypto, and the helper with the certificate)');
  t.ok(allLow, '200 signatures have s <= n/2');
  t.ok(signatures.every(isLowS));
  t.notOk(verifyNodeSignature(alice.certificate, Buffer.from('other'), signatures[0] as Uint8Array), 'another message does not verify');
  // Without normalisation OpenSSL produces high-S about half the time: the check above means something.
  const raw = Array.from({ length: 64 }, (_, i) => sign_('sha256', Buffer.from(`raw ${i}`), alice.privateKey));
  t.ok(raw.some((signature) => rs(signature).s > N / 2n), 'plain crypto.sign does emit high-S signatures');
});

t.test('high-S signatures: normalised by toLowS, refused by verifyNodeSignature as Fabric does', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const bob = await ca.issueIdentity({ commonName: 'bob' });
  const message = Buffer.from('hello');
  const low = await newNodeSigner(bob.privateKey)(message);
  const { r, s } = rs(low);
  const high = der(r, N - s);
  const publicKey = createPublicKey(bob.privateKey);
  t.ok(verify('sha256', message, publicKey, high), 'the high-S twin is mathematically valid');
  t.notOk(isLowS(high));
  t.notOk(verifyNodeSignature(publicKey, message, high), 'but refused');
  t.same(Buffer.from(toLowS(high)), Buffer.from(low), 'toLowS restores the low-S form');
  t.same(Buffer.from(toLowS(low)), Buffer.from(low), 'a low-S signature is left unchanged');
  t.notOk(verifyNodeSignature(publicKey, message, Buffer.from('not der')), 'garbage is false, not an exception');
  // A non-minimal integer encoding (extra leading zero) is not DER; Fabric's Go parser refuses it.
  const body = Buffer.from(low).subarray(2);
  const rLen = body[1] as number;
  const padded = Buffer.concat([Buffer.of(0x02, rLen + 1, 0), body.subarray(2, 2 + rLen), body.subarray(2 + rLen)]);
  t.notOk(verifyNodeSignature(publicKey, message, Buffer.concat([Buffer.of(0x30, padded.length), padded])));
});

t.test('the signer accepts a SEC1 key and refuses non-P-256 keys', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const carol = await ca.issueIdentity({ commonName: 'carol' });
  const sec1 = createPrivateKey(carol.privateKey).export({ type: 'sec1', format: 'pem' }).toString();
  const signature = await newNodeSigner(sec1)(Buffer.from('x'));
  t.ok(verifyNodeSignature(carol.certificate, Buffer.from('x'), signature));
  t.throws(() => newNodeSigner(pemArmour('PRIVATE KEY', 'AAAA')), { code: 'CERTS_MALFORMED' });
});
