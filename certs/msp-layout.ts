/**
 * Fabric's on-disk layouts for identities, read and written: the MSP folder a peer, orderer or
 * client loads (`msp/`), the TLS folder beside it (`tls/`), and a CA folder (as cryptogen's
 * `ca/` and `tlsca/`).
 *
 * ```
 * msp/cacerts/<ca CN>-cert.pem        root CA certificate(s)
 * msp/tlscacerts/<tlsca CN>-cert.pem  TLS root CA certificate(s)
 * msp/signcerts/cert.pem              the identity's certificate   (member MSPs only)
 * msp/keystore/priv_sk                its PKCS#8 key, mode 0600     (member MSPs only)
 * msp/config.yaml                     NodeOUs, as cryptogen writes it
 * tls/ca.crt                          TLS CA certificate
 * tls/server.crt, tls/server.key      a node's TLS pair (client.crt/.key for users), key 0600
 * ca/<CN>-cert.pem, ca/priv_sk        a CA's certificate and key (key 0600)
 * ```
 *
 * Every file is written to a temporary name and renamed into place, so a reader never sees half
 * a file. Private keys are created with mode 0600 and their folder with 0700.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CertificateAuthority } from './certificate-authority';
import { parseCertificate } from './certificate-info';
import type { Credentials } from './credentials';
import { NODE_OUS } from './credentials';
import { CertsErrorCode, certsError } from './errors';
import { assertKeyPair, parseP256PrivateKey, toPkcs8Pem } from './keys';

/** What an MSP folder holds. Without `signCertificate`/`privateKey` it is an organisation's
 * (channel) MSP definition: certificates only. */
export interface MspContents {
  /** Root CA certificate, PEM → `cacerts/<CN>-cert.pem`. */
  readonly caCertificate: string;
  /** TLS root CA certificate, PEM → `tlscacerts/<CN>-cert.pem`. */
  readonly tlsCaCertificate?: string;
  /** The identity's certificate, PEM → `signcerts/cert.pem`. */
  readonly signCertificate?: string;
  /** The identity's private key, PEM → `keystore/priv_sk` (mode 0600). */
  readonly privateKey?: string;
  /** Write `config.yaml` with NodeOUs enabled (default true). */
  readonly nodeOUs?: boolean;
}

/** An MSP folder as read back. */
export interface MspFolder {
  readonly cacerts: readonly string[];
  readonly tlscacerts: readonly string[];
  readonly signCertificate: string | undefined;
  readonly privateKey: string | undefined;
  readonly nodeOUs: boolean;
}

/** A TLS folder's contents. */
export interface TlsFiles {
  /** `server` for peers and orderers, `client` for users (names the files). */
  readonly kind: 'server' | 'client';
  readonly caCertificate: string;
  readonly certificate: string;
  readonly privateKey: string;
}

/** File names inside an MSP folder. */
export const MSP_PATHS = {
  cacerts: 'cacerts',
  tlscacerts: 'tlscacerts',
  signCertificate: path.join('signcerts', 'cert.pem'),
  privateKey: path.join('keystore', 'priv_sk'),
  config: 'config.yaml',
} as const;

/** File names inside a TLS folder. */
export function tlsPaths(kind: 'server' | 'client'): { ca: string; certificate: string; privateKey: string } {
  return { ca: 'ca.crt', certificate: `${kind}.crt`, privateKey: `${kind}.key` };
}

/** Cryptogen's name for a CA certificate file: `<CN>-cert.pem` (`ca.org1-cert.pem`). */
export function certificateFileName(certificatePem: string): string {
  const cn = parseCertificate(certificatePem).commonName.replace(/[^A-Za-z0-9._@-]+/g, '_');
  return `${cn === '' ? 'ca' : cn}-cert.pem`;
}

/** `config.yaml` enabling NodeOUs against the CA file in `cacerts/`, as cryptogen writes it. */
export function nodeOUsConfig(caFileName: string): string {
  const title = { client: 'Client', peer: 'Peer', admin: 'Admin', orderer: 'Orderer' } as const;
  const lines = ['NodeOUs:', '  Enable: true'];
  for (const ou of NODE_OUS) {
    lines.push(`  ${title[ou]}OUIdentifier:`, `    Certificate: cacerts/${caFileName}`, `    OrganizationalUnitIdentifier: ${ou}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `data` to `file` atomically (temporary file + rename), creating folders as needed.
 * `secret` files get mode 0600 (and their folder 0700).
 */
export async function writeFileAtomic(file: string, data: string, secret = false): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: secret ? 0o700 : 0o755 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
    if (secret) await chmod(tmp, 0o600); // in case the file system ignored the creation mode
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Writes an MSP folder (see the file comment for the layout). Existing files are replaced. */
export async function writeMsp(mspDir: string, contents: Readonly<MspContents>): Promise<void> {
  if ((contents.signCertificate === undefined) !== (contents.privateKey === undefined)) {
    throw certsError(CertsErrorCode.INVALID_ARGUMENT, 'signCertificate and privateKey go together');
  }
  const caFile = certificateFileName(contents.caCertificate);
  await writeFileAtomic(path.join(mspDir, MSP_PATHS.cacerts, caFile), contents.caCertificate);
  if (contents.tlsCaCertificate !== undefined) {
    await writeFileAtomic(path.join(mspDir, MSP_PATHS.tlscacerts, certificateFileName(contents.tlsCaCertificate)), contents.tlsCaCertificate);
  }
  if (contents.signCertificate !== undefined && contents.privateKey !== undefined) {
    assertKeyPair(parseP256PrivateKey(contents.privateKey), contents.signCertificate, 'signCertificate');
    await writeFileAtomic(path.join(mspDir, MSP_PATHS.signCertificate), contents.signCertificate);
    await writeFileAtomic(path.join(mspDir, MSP_PATHS.privateKey), contents.privateKey, true);
  }
  if (contents.nodeOUs ?? true) await writeFileAtomic(path.join(mspDir, MSP_PATHS.config), nodeOUsConfig(caFile));
}

/** Writes a TLS folder: `ca.crt`, `<kind>.crt`, `<kind>.key` (mode 0600). */
export async function writeTls(tlsDir: string, files: Readonly<TlsFiles>): Promise<void> {
  assertKeyPair(parseP256PrivateKey(files.privateKey), files.certificate, 'the TLS certificate');
  const names = tlsPaths(files.kind);
  await writeFileAtomic(path.join(tlsDir, names.ca), files.caCertificate);
  await writeFileAtomic(path.join(tlsDir, names.certificate), files.certificate);
  await writeFileAtomic(path.join(tlsDir, names.privateKey), files.privateKey, true);
}

/** Writes a CA folder: `<CN>-cert.pem` and `priv_sk` (mode 0600). */
export async function writeCaDir(caDir: string, ca: Pick<CertificateAuthority, 'certificate' | 'privateKey'>): Promise<void> {
  await writeFileAtomic(path.join(caDir, certificateFileName(ca.certificate)), ca.certificate);
  await writeFileAtomic(path.join(caDir, 'priv_sk'), ca.privateKey, true);
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function listFiles(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith(suffix))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads the one file of `dir` named `preferred`, else its only file ending in `suffix`. */
async function readSingle(dir: string, preferred: string, suffix: string): Promise<string | undefined> {
  const direct = await readOptional(path.join(dir, preferred));
  if (direct !== undefined) return direct;
  const candidates = await listFiles(dir, suffix);
  if (candidates.length > 1) throw certsError(CertsErrorCode.MALFORMED, `${dir} holds several ${suffix} files and no ${preferred}`);
  return candidates[0] === undefined ? undefined : readFile(path.join(dir, candidates[0]), 'utf8');
}

/**
 * Reads an MSP folder. Accepts fabric-ca-client's names too (`signcerts/*.pem`, `keystore/*_sk`).
 * @throws CodedError `CERTS_NOT_FOUND` when the folder has no `cacerts/`.
 */
export async function readMsp(mspDir: string): Promise<MspFolder> {
  const caFiles = await listFiles(path.join(mspDir, MSP_PATHS.cacerts), '.pem');
  if (caFiles.length === 0) throw certsError(CertsErrorCode.NOT_FOUND, `${mspDir} is not an MSP folder (no cacerts/*.pem)`);
  const read = (dir: string) => async (name: string) => readFile(path.join(mspDir, dir, name), 'utf8');
  const config = await readOptional(path.join(mspDir, MSP_PATHS.config));
  return {
    cacerts: await Promise.all(caFiles.map(read(MSP_PATHS.cacerts))),
    tlscacerts: await Promise.all((await listFiles(path.join(mspDir, MSP_PATHS.tlscacerts), '.pem')).map(read(MSP_PATHS.tlscacerts))),
    signCertificate: await readSingle(path.join(mspDir, 'signcerts'), 'cert.pem', '.pem'),
    privateKey: await readSingle(path.join(mspDir, 'keystore'), 'priv_sk', '_sk'),
    nodeOUs: config !== undefined && /^\s*Enable:\s*true\s*$/m.test(config),
  };
}

/**
 * The MSP ID implied by a path in the consortium layout
 * (`…/organizations/<mspId>/{users,peers,orderers}/<name>/msp` or `…/organizations/<mspId>/ca`),
 * or undefined.
 */
export function mspIdFromPath(dir: string): string | undefined {
  const parts = path.resolve(dir).split(path.sep);
  const n = parts.length;
  if (parts[n - 1] === 'msp' && parts[n - 5] === 'organizations' && ['users', 'peers', 'orderers'].includes(parts[n - 3] ?? '')) return parts[n - 4];
  if (['ca', 'tlsca', 'msp'].includes(parts[n - 1] ?? '') && parts[n - 3] === 'organizations') return parts[n - 2];
  return undefined;
}

/**
 * Credentials from a member's MSP folder: `signcerts/` certificate, `keystore/` key (checked to
 * be the certificate's key; returned as PKCS#8 PEM). The MSP ID is not in the folder (Fabric
 * configures it); pass it, or let it follow from a consortium-layout path.
 * @throws CodedError `CERTS_NOT_FOUND`, `CERTS_INVALID_ARGUMENT` (no MSP ID), `CERTS_KEY_MISMATCH`.
 */
export async function loadCredentials(mspDir: string, mspId?: string): Promise<Credentials> {
  const id = mspId ?? mspIdFromPath(mspDir);
  if (id === undefined) throw certsError(CertsErrorCode.INVALID_ARGUMENT, `cannot tell the MSP ID of ${mspDir}; pass it explicitly`);
  const certificate = await readSingle(path.join(mspDir, 'signcerts'), 'cert.pem', '.pem');
  const keyPem = await readSingle(path.join(mspDir, 'keystore'), 'priv_sk', '_sk');
  if (certificate === undefined || keyPem === undefined) {
    throw certsError(CertsErrorCode.NOT_FOUND, `${mspDir} has no signcerts/ certificate or keystore/ key`);
  }
  const key = parseP256PrivateKey(keyPem);
  assertKeyPair(key, certificate, `the certificate in ${path.join(mspDir, 'signcerts')}`);
  return { mspId: id, certificate, privateKey: toPkcs8Pem(key) };
}

/**
 * Reads a TLS folder (`server.*` or `client.*`, whichever is present; server first).
 * @throws CodedError `CERTS_NOT_FOUND`, `CERTS_KEY_MISMATCH`.
 */
export async function readTls(tlsDir: string): Promise<TlsFiles> {
  for (const kind of ['server', 'client'] as const) {
    const names = tlsPaths(kind);
    const certificate = await readOptional(path.join(tlsDir, names.certificate));
    if (certificate === undefined) continue;
    const caCertificate = await readOptional(path.join(tlsDir, names.ca));
    const privateKey = await readOptional(path.join(tlsDir, names.privateKey));
    if (caCertificate === undefined || privateKey === undefined) break;
    assertKeyPair(parseP256PrivateKey(privateKey), certificate, `${names.certificate} in ${tlsDir}`);
    return { kind, caCertificate, certificate, privateKey };
  }
  throw certsError(CertsErrorCode.NOT_FOUND, `${tlsDir} has no complete ca.crt + server.crt/key or client.crt/key`);
}

/**
 * Loads a CA folder: its `*-cert.pem` (or `ca.pem`/`cert.pem`) and `priv_sk`.
 * @throws CodedError `CERTS_NOT_FOUND`, `CERTS_MALFORMED`, `CERTS_KEY_MISMATCH`,
 *   `CERTS_INVALID_ARGUMENT` when no MSP ID is given or implied by the path.
 */
export async function loadCaDir(caDir: string, mspId?: string): Promise<CertificateAuthority> {
  const id = mspId ?? mspIdFromPath(caDir);
  if (id === undefined) throw certsError(CertsErrorCode.INVALID_ARGUMENT, `cannot tell the MSP ID of the CA in ${caDir}; pass it explicitly`);
  const certificate = (await readOptional(path.join(caDir, 'ca.pem'))) ?? (await readSingle(caDir, 'cert.pem', '-cert.pem'));
  const key = (await readOptional(path.join(caDir, 'priv_sk'))) ?? (await readSingle(caDir, 'key.pem', '_sk'));
  if (certificate === undefined || key === undefined) throw certsError(CertsErrorCode.NOT_FOUND, `${caDir} has no CA certificate (*-cert.pem) and key (priv_sk)`);
  return CertificateAuthority.load(certificate, key, id);
}
