/** Shared fixtures for the seal tests: keys and certificates are made at run time, in temp dirs. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { Test } from 'tap';
import { CodedError } from '../../domain/coded-error';
import { createRootCa, issueCertificate, type CertifiedKey } from '../../seal/certificates';
import { makeSeal, type MakeSealOptions } from '../../seal/seal-maker';
import { newSoftwareSigner } from '../../seal/signer';

export const DAY = 86_400_000;

/** A valid PNG of `size`×`size` red pixels. */
export function png(size = 4): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3, Buffer.from([0xd0, 0x10, 0x10]))]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/** One organisation's SM2 seal PKI. */
export interface Sm2Pki {
  readonly ca: CertifiedKey;
  readonly maker: CertifiedKey;
  readonly signer: CertifiedKey;
  /** A second signer certified by the same CA but not listed in seals made with `sealFor`. */
  readonly outsider: CertifiedKey;
}

export function sm2Pki(name = 'Test Org'): Sm2Pki {
  const ca = createRootCa('SM2', { subject: { commonName: `${name} SM2 Seal CA`, organization: name, country: 'CN' } });
  return {
    ca,
    maker: issueCertificate(ca, 'maker', { subject: { commonName: `${name} 制章者`, organization: name } }),
    signer: issueCertificate(ca, 'signer', { subject: { commonName: `${name} 签章者`, organization: name } }),
    outsider: issueCertificate(ca, 'signer', { subject: { commonName: `${name} 其他人`, organization: name } }),
  };
}

/** A seal valid from a year ago for two years, listing `pki.signer`. */
export async function sealFor(pki: Sm2Pki, overrides: Partial<MakeSealOptions> = {}): Promise<Uint8Array> {
  return makeSeal({
    maker: newSoftwareSigner(pki.maker.certificate, pki.maker.privateKey),
    name: '某某局业务专用章',
    esID: 'LC-SEAL-0001',
    signerCertificates: [pki.signer.certificate],
    createDate: new Date(Date.now() - 365 * DAY),
    validStart: new Date(Date.now() - 365 * DAY),
    validEnd: new Date(Date.now() + 365 * DAY),
    picture: { data: png(), widthMm: 40, heightMm: 40 },
    ...overrides,
  });
}

/** A temp dir removed when the test ends. */
export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lc-seal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeTemp(dir: string, name: string, data: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** Runs openssl; returns { status, stdout, stderr } without throwing. */
export function openssl(args: string[], input?: Uint8Array): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function opensslOk(args: string[]): Buffer {
  return execFileSync('openssl', args);
}

/** Asserts `fn` throws a CodedError with `code` (and a message matching `pattern`). */
export function throwsCode(t: Test, fn: () => unknown, code: string, pattern?: RegExp, what?: string): void {
  try {
    fn();
    t.fail(`${what ?? code}: expected ${code}, nothing thrown`);
  } catch (error) {
    if (!(error instanceof CodedError)) {
      t.fail(`${what ?? code}: expected CodedError ${code}, got ${String(error)}`);
      return;
    }
    t.equal(error.code, code, what ?? code);
    if (pattern) t.match(error.message, pattern, what ?? code);
  }
}

/** Async version of {@link throwsCode}. */
export async function rejectsCode(t: Test, fn: () => Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await fn();
    t.fail(`expected ${code}, nothing thrown`);
  } catch (error) {
    if (!(error instanceof CodedError)) {
      t.fail(`expected CodedError ${code}, got ${String(error)}`);
      return;
    }
    t.equal(error.code, code);
    if (pattern) t.match(error.message, pattern);
  }
}

/** DER TLV with a definite length (test-side crafting of variant encodings). */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len]), content]));
}
