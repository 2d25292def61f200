import t from 'tap';
import { readFileSync } from 'node:fs';
import { sm2 as smCrypto } from 'sm-crypto-v2';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { exportPrivateKeyPem, fromPem, generateSealKey, importPrivateKeyPem, publicKeyInfo, toPem } from '../../seal/keys';
import {
  decodeSm2Signature,
  encodeSm2Signature,
  generateSm2KeyPair,
  prepareSm2PublicKey,
  sm2MessageDigest,
  sm2PublicKeyFromPrivate,
  sm2Sign,
  sm2Verify,
  sm2Z,
} from '../../seal/sm2';
import vector from './data/sm2-sign-vector.json';
import { openssl, tempDir, throwsCode, writeTemp } from './support';
import { pemArmour } from '../support/pem';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
const DISTID = 'distid:1234567812345678';

t.test('known answer: GM/T 0003.5 / GB/T 32918.5 sm2p256v1 signature example', async (t) => {
  const d = bytes(vector.privateKey);
  const pub = sm2PublicKeyFromPrivate(d);
  t.equal(hex(pub), `04${vector.publicKeyX}${vector.publicKeyY}`, 'public key = dG');
  t.equal(hex(sm2Z(pub, vector.userId)), vector.za, 'Z_A');
  const message = new TextEncoder().encode(vector.message);
  const e = sm2MessageDigest(message, pub, vector.userId);
  t.equal(hex(e), vector.e, 'e = SM3(Z_A || M)');
  // The standard's k, fed to the library's signing core through its precomputed-point pool.
  const rs = smCrypto.doSignature(e, vector.privateKey, { hash: false, pointPool: [{ k: BigInt(`0x${vector.k}`), x1: BigInt(`0x${vector.x1}`) }] });
  t.equal(rs.toUpperCase(), `${vector.r}${vector.s}`, 'r, s with the standard k');
  const der = encodeSm2Signature(BigInt(`0x${vector.r}`), BigInt(`0x${vector.s}`));
  t.ok(sm2Verify(message, der, pub, { userId: vector.userId }), 'standard (r, s) verifies');
  t.notOk(sm2Verify(new TextEncoder().encode('message digesT'), der, pub), 'other message fails');
  t.ok(sm2Verify(message, bytes(`${vector.r}${vector.s}`), pub), 'raw r||s form accepted');
});

t.test('sign / verify round trip, keys and user IDs', async (t) => {
  const a = generateSm2KeyPair();
  const b = generateSm2KeyPair();
  const msg = new TextEncoder().encode('电子证照 license document');
  const sig = sm2Sign(msg, a.privateKey);
  t.ok(sm2Verify(msg, sig, a.publicKey));
  t.ok(sm2Verify(msg, sig, prepareSm2PublicKey(a.publicKey)), 'prepared key');
  t.notOk(sm2Verify(msg, sig, b.publicKey), 'other key');
  t.notOk(sm2Verify(msg, sig, a.publicKey, { userId: 'ALICE123@YAHOO.COM' }), 'other user ID');
  const alice = sm2Sign(msg, a.privateKey, { userId: 'ALICE123@YAHOO.COM' });
  t.ok(sm2Verify(msg, alice, a.publicKey, { userId: 'ALICE123@YAHOO.COM' }), 'custom user ID');
  t.notOk(sm2Verify(msg.subarray(1), sig, a.publicKey), 'other message');
  t.not(hex(sm2Sign(msg, a.privateKey)), hex(sig), 'randomised k');
  t.throws(() => sm2Sign(msg, new Uint8Array(32)), /out of range/, 'd = 0 refused');
  t.throws(() => sm2Sign(msg, new Uint8Array(31)), /32 bytes/);
});

t.test('signature encoding is strict DER with r, s in [1, n-1]', async (t) => {
  const k = generateSm2KeyPair();
  const msg = new Uint8Array([1, 2, 3]);
  const sig = sm2Sign(msg, k.privateKey);
  const decoded = decodeSm2Signature(sig);
  if (!decoded) throw new Error('own signature must decode');
  const { r, s } = decoded;
  t.same(encodeSm2Signature(r, s), sig, 'canonical');
  // r with a superfluous leading zero byte: BER-valid, not DER.
  const rBytes = Buffer.from(r.toString(16).padStart(64, '0'), 'hex');
  const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex');
  const int = (v: Buffer): Buffer => Buffer.concat([Buffer.from([2, v.length]), v]);
  const nonMinimal = Buffer.concat([Buffer.from([0x00, 0x00]), rBytes]);
  const body = Buffer.concat([int(nonMinimal), int(sBytes[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), sBytes]) : sBytes)]);
  const ber = Buffer.concat([Buffer.from([0x30, body.length]), body]);
  t.equal(decodeSm2Signature(ber), undefined, 'non-minimal INTEGER refused');
  t.notOk(sm2Verify(msg, ber, k.publicKey));
  t.notOk(sm2Verify(msg, Buffer.concat([sig, Buffer.from([0])]), k.publicKey), 'trailing byte');
  t.notOk(sm2Verify(msg, encodeSm2Signature(r, s + N), k.publicKey), 's + n refused');
  t.notOk(sm2Verify(msg, encodeSm2Signature(0n, s), k.publicKey), 'r = 0 refused');
  t.notOk(sm2Verify(msg, new Uint8Array([0x30, 0x03, 0x02, 0x01]), k.publicKey), 'truncated');
  t.notOk(sm2Verify(msg, new Uint8Array(200).fill(0xff), k.publicKey), 'garbage');
  t.notOk(sm2Verify(msg, sig, new Uint8Array(65).fill(4)), 'point not on the curve');
});

t.test('OpenSSL 3 interoperability (pkeyutl -rawin -digest sm3, distid 1234567812345678)', async (t) => {
  const dir = tempDir(t);
  const key = generateSealKey('SM2');
  if (key.algorithm !== 'SM2') throw new Error('SM2 expected');
  const keyPath = writeTemp(dir, 'key.pem', exportPrivateKeyPem(key));
  const pubPath = writeTemp(dir, 'pub.pem', toPem('PUBLIC KEY', publicKeyInfo(key)));
  const msg = new TextEncoder().encode('{"identifier":"1.2.156.3005.2.x","version":"001"}');
  const msgPath = writeTemp(dir, 'msg.bin', msg);

  const text = openssl(['pkey', '-in', keyPath, '-noout', '-text']);
  t.equal(text.status, 0, 'OpenSSL reads our PKCS#8 key');
  t.match(text.stdout, /ASN1 OID: SM2/);
  t.match(text.stdout.replace(/[\s:]/g, ''), Buffer.from(key.privateKey).toString('hex'), 'same scalar');

  // Ours → OpenSSL.
  const oursPath = writeTemp(dir, 'ours.sig', sm2Sign(msg, key.privateKey));
  const verifyArgs = ['pkeyutl', '-verify', '-pubin', '-inkey', pubPath, '-rawin', '-digest', 'sm3', '-pkeyopt', DISTID, '-in', msgPath];
  const ok = openssl([...verifyArgs, '-sigfile', oursPath]);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /Signature Verified Successfully/);
  const wrongId = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pubPath, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:ALICE123@YAHOO.COM', '-in', msgPath, '-sigfile', oursPath]);
  t.not(wrongId.status, 0, 'OpenSSL refuses it under another user ID');
  const tamperedPath = writeTemp(dir, 'tampered.bin', Buffer.concat([Buffer.from(msg), Buffer.from(' ')]));
  t.not(openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pubPath, '-rawin', '-digest', 'sm3', '-pkeyopt', DISTID, '-in', tamperedPath, '-sigfile', oursPath]).status, 0, 'tampered message refused by OpenSSL');

  // OpenSSL → ours, with our key file and with an OpenSSL-generated key.
  const theirsPath = `${dir}/theirs.sig`;
  const signed = openssl(['pkeyutl', '-sign', '-inkey', keyPath, '-rawin', '-digest', 'sm3', '-pkeyopt', DISTID, '-in', msgPath, '-out', theirsPath]);
  t.equal(signed.status, 0, signed.stderr);
  const theirs = new Uint8Array(readFileSync(theirsPath));
  t.ok(sm2Verify(msg, theirs, key.publicKey), 'OpenSSL signature verifies here');
  t.ok(
    smCrypto.doVerifySignature(msg, Buffer.from(theirs).toString('hex'), Buffer.from(key.publicKey).toString('hex'), { hash: true, der: true }),
    'and with sm-crypto-v2 directly',
  );
  t.ok(smCrypto.doVerifySignature(msg, Buffer.from(readFileSync(oursPath)).toString('hex'), Buffer.from(key.publicKey).toString('hex'), { hash: true, der: true }), 'ours with sm-crypto-v2');

  const genPath = `${dir}/openssl-key.pem`;
  t.equal(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', genPath]).status, 0);
  const imported = importPrivateKeyPem(readFileSync(genPath, 'utf8'));
  if (imported.algorithm !== 'SM2') throw new Error('SM2 expected');
  const genSig = `${dir}/gen.sig`;
  t.equal(openssl(['pkeyutl', '-sign', '-inkey', genPath, '-rawin', '-digest', 'sm3', '-pkeyopt', DISTID, '-in', msgPath, '-out', genSig]).status, 0);
  t.ok(sm2Verify(msg, new Uint8Array(readFileSync(genSig)), imported.publicKey), "OpenSSL-generated key's signature verifies with the imported key");
  // OpenSSL 3.0 will not write SM2 keys in SEC1 form, so build one from the PKCS#8 it wrote.
  const info = AsnConvert.parse(fromPem(readFileSync(genPath, 'utf8'), 'PRIVATE KEY')[0] as Uint8Array, PrivateKeyInfo);
  const ec = AsnConvert.parse(info.privateKey.buffer, ECPrivateKey);
  ec.parameters = new ECParameters({ namedCurve: '1.2.156.10197.1.301' });
  const sec1 = importPrivateKeyPem(toPem('EC PRIVATE KEY', new Uint8Array(AsnConvert.serialize(ec))));
  t.same(sec1, imported, 'SEC1 "EC PRIVATE KEY" form read too');
});

t.test('private key files refuse what they cannot be', async (t) => {
  throwsCode(t, () => importPrivateKeyPem('not a key'), 'SEAL_KEY_INVALID');
  const p256 = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  throwsCode(t, () => importPrivateKeyPem(p256.stdout), 'SEAL_KEY_INVALID', /SM2 curve/);
  throwsCode(t, () => importPrivateKeyPem(pemArmour('PRIVATE KEY', 'AAAA')), 'SEAL_KEY_INVALID');
  const rsa = generateSealKey('RSA');
  t.equal(importPrivateKeyPem(exportPrivateKeyPem(rsa)).algorithm, 'RSA');
});
