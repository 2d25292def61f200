/**
 * Private keys for seal makers and signers, and the one file form they are kept in.
 *
 * Form: unencrypted PKCS#8 PEM (label `PRIVATE KEY`, RFC 5208), the form OpenSSL 3
 * reads and writes. SM2 keys are `id-ecPublicKey` with curve `1.2.156.10197.1.301` and an RFC 5915
 * `ECPrivateKey` (32-byte scalar + public point) inside; RSA keys are `rsaEncryption`. SEC1
 * `EC PRIVATE KEY` (SM2) and PKCS#1 `RSA PRIVATE KEY` PEM are read too. Files are written 0600.
 * Keys held in a device or signing server never pass through here: see `signer.ts`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { sealError } from './codes';
import { OID } from './oids';
import { generateSm2KeyPair, sameSm2PublicKey, sm2PublicKeyFromPrivate } from './sm2';
import { toArrayBuffer } from './internal';

/** Signature algorithms a seal can use. */
export type SealAlgorithm = 'SM2' | 'RSA';

/** A private key held in software. */
export type SealPrivateKey =
  | { readonly algorithm: 'SM2'; readonly privateKey: Uint8Array; readonly publicKey: Uint8Array }
  | { readonly algorithm: 'RSA'; readonly key: KeyObject };

/** Generates an SM2 key, or an RSA key of `rsaBits` (default 2048) with Node's native generator. */
export function generateSealKey(algorithm: SealAlgorithm, rsaBits = 2048): SealPrivateKey {
  if (algorithm === 'SM2') return { algorithm, ...generateSm2KeyPair() };
  return { algorithm, key: generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey };
}

/** The DER SubjectPublicKeyInfo of a key (what a certificate carries). */
export function publicKeyInfo(key: SealPrivateKey): Uint8Array {
  if (key.algorithm === 'RSA') {
    return new Uint8Array(createPublicKey(key.key).export({ format: 'der', type: 'spki' }));
  }
  return spkiForSm2(key.publicKey);
}

/** DER SubjectPublicKeyInfo for an SM2 point: `id-ecPublicKey` + curve `1.2.156.10197.1.301`. */
export function spkiForSm2(publicKey: Uint8Array): Uint8Array {
  const algorithm = new AlgorithmIdentifier({
    algorithm: OID.ecPublicKey,
    parameters: AsnConvert.serialize(new ECParameters({ namedCurve: OID.sm2Curve })),
  });
  return new Uint8Array(
    AsnConvert.serialize(new SubjectPublicKeyInfo({ algorithm, subjectPublicKey: toArrayBuffer(publicKey) })),
  );
}

/** PKCS#8 PEM text of a private key. */
export function exportPrivateKeyPem(key: SealPrivateKey): string {
  if (key.algorithm === 'RSA') return key.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const ecKey = new ECPrivateKey({
    version: 1,
    privateKey: new OctetString(toArrayBuffer(key.privateKey)),
    publicKey: toArrayBuffer(key.publicKey),
  });
  const info = new PrivateKeyInfo({
    privateKeyAlgorithm: new AlgorithmIdentifier({
      algorithm: OID.ecPublicKey,
      parameters: AsnConvert.serialize(new ECParameters({ namedCurve: OID.sm2Curve })),
    }),
    privateKey: new OctetString(AsnConvert.serialize(ecKey)),
  });
  return toPem('PRIVATE KEY', new Uint8Array(AsnConvert.serialize(info)));
}

/**
 * Reads a PEM private key (PKCS#8, SEC1 SM2, PKCS#1 RSA). Throws `SEAL_KEY_INVALID` for anything
 * else, including EC keys on curves other than SM2.
 */
export function importPrivateKeyPem(pem: string): SealPrivateKey {
  const block = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!block) throw sealError('SEAL_KEY_INVALID', 'no PEM private key block found');
  const label = block[1] as string;
  const der = new Uint8Array(Buffer.from((block[2] as string).replace(/\s+/g, ''), 'base64'));
  try {
    if (label === 'EC PRIVATE KEY') return sm2FromEcPrivateKey(der, undefined);
    if (label === 'RSA PRIVATE KEY') {
      return { algorithm: 'RSA', key: createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' }) };
    }
    if (label !== 'PRIVATE KEY') throw new Error(`unsupported PEM label ${label}`);
    const info = AsnConvert.parse(der, PrivateKeyInfo);
    const alg = info.privateKeyAlgorithm;
    if (alg.algorithm === OID.rsaEncryption) {
      return { algorithm: 'RSA', key: createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }) };
    }
    if (alg.algorithm === OID.ecPublicKey || alg.algorithm === OID.sm2Curve) {
      const curve = alg.parameters ? AsnConvert.parse(alg.parameters, ECParameters).namedCurve : OID.sm2Curve;
      return sm2FromEcPrivateKey(new Uint8Array(info.privateKey.buffer), curve);
    }
    throw new Error(`unsupported private key algorithm ${alg.algorithm}`);
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error as { code: unknown }).code === 'SEAL_KEY_INVALID') throw error;
    throw sealError('SEAL_KEY_INVALID', `cannot read private key: ${(error as Error).message}`, error);
  }
}

/** Writes a private key as PKCS#8 PEM with mode 0600 (also tightening an existing file). */
export async function writePrivateKeyFile(path: string, key: SealPrivateKey): Promise<void> {
  await writePrivateFile(path, exportPrivateKeyPem(key));
}

/** Writes any file of seal material owner-readable only (0600). */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Wraps DER in PEM armour with 64-column lines. */
export function toPem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** Every DER body of the PEM blocks with `label` in `text`, in order. */
export function fromPem(text: string, label: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(new Uint8Array(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

function sm2FromEcPrivateKey(der: Uint8Array, algorithmCurve: string | undefined): SealPrivateKey {
  const ec = AsnConvert.parse(der, ECPrivateKey);
  const curve = ec.parameters?.namedCurve ?? algorithmCurve;
  if (curve !== OID.sm2Curve) throw new Error(`EC key is not on the SM2 curve (${curve ?? 'no curve'})`);
  let scalar = new Uint8Array(ec.privateKey.buffer);
  // Some writers drop leading zero bytes of the scalar.
  if (scalar.length < 32) scalar = Uint8Array.from([...new Uint8Array(32 - scalar.length), ...scalar]);
  const publicKey = sm2PublicKeyFromPrivate(scalar);
  if (ec.publicKey) {
    const stated = new Uint8Array(ec.publicKey);
    const same = sameSm2PublicKey(stated, publicKey);
    if (!same) {
      throw new Error('embedded public key does not match the private scalar');
    }
  }
  return { algorithm: 'SM2', privateKey: scalar, publicKey };
}
