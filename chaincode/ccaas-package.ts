/**
 * A Fabric chaincode package for chaincode as a service (`ccaas`): what `peer lifecycle chaincode
 * install` takes when the chaincode runs as its own server and the peer dials it.
 *
 * ```
 * <label>.tar.gz
 *   metadata.json   {"type":"ccaas","label":"<label>"}
 *   code.tar.gz
 *     connection.json {"address":"127.0.0.1:9999","dial_timeout":"10s","tls_required":false}
 * ```
 *
 * The package id Fabric gives it is `<label>:<hex SHA-256 of the package file>`, and the chaincode
 * server must announce exactly that id (`CHAINCODE_ID`). So the bytes are made deterministic:
 * entries in a fixed order, fixed mode 0644, mtime 0, no owner names or pax headers, and gzip
 * without a timestamp (zlib writes mtime 0). The same label and connection give the same id on a
 * given Node build (a different zlib could compress differently; the id is then still stable on
 * that machine).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tar from 'tar';

/** Where the peer dials the chaincode server (Fabric's ccaas connection.json). */
export interface CcaasConnection {
  /** `host:port` of the chaincode server. */
  readonly address: string;
  /** Go duration, e.g. `10s`. */
  readonly dialTimeout?: string;
}

export interface CcaasPackageOptions extends CcaasConnection {
  /** Fabric package label: letters, digits, `.`, `+`, `-`, `_` (default `licensechain_1.0`). */
  readonly label?: string;
}

export interface CcaasPackage {
  readonly label: string;
  /** `<label>:<sha256 hex of bytes>`: the id the peer reports and `CHAINCODE_ID` must equal. */
  readonly packageId: string;
  /** The `.tar.gz` package file. */
  readonly bytes: Buffer;
  readonly metadata: { readonly type: 'ccaas'; readonly label: string };
  readonly connection: { readonly address: string; readonly dial_timeout: string; readonly tls_required: false };
}

export const DEFAULT_CCAAS_LABEL = 'licensechain_1.0';

// Fabric's rule for package labels (core/chaincode/persistence).
const LABEL = /^[A-Za-z0-9]+([.+\-_][A-Za-z0-9]+)*$/;
const ADDRESS = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** Fabric's package id for a package file. */
export function packageIdOf(label: string, bytes: Buffer): string {
  return `${label}:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A deterministic gzipped tar of `files` (written in the order given). */
async function deterministicTarGz(files: ReadonlyArray<readonly [name: string, data: Buffer | string]>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lc-ccaas-'));
  try {
    for (const [name, data] of files) {
      const file = path.join(dir, name);
      await writeFile(file, data);
      await chmod(file, 0o644); // not whatever the umask made it
    }
    const chunks: Buffer[] = [];
    const stream = tar.create(
      { cwd: dir, gzip: true, portable: true, noPax: true, mtime: new Date(0), noDirRecurse: true },
      files.map(([name]) => name),
    );
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Builds a ccaas package (see the file comment). */
export async function buildCcaasPackage(options: CcaasPackageOptions): Promise<CcaasPackage> {
  const label = options.label ?? DEFAULT_CCAAS_LABEL;
  if (!LABEL.test(label)) throw new Error(`chaincode package label ${JSON.stringify(label)} is not a valid Fabric label (letters, digits and . + - _ between them)`);
  if (!ADDRESS.test(options.address)) throw new Error(`chaincode server address ${JSON.stringify(options.address)} is not host:port`);
  const dialTimeout = options.dialTimeout ?? '10s';
  if (!DURATION.test(dialTimeout)) throw new Error(`dial timeout ${JSON.stringify(dialTimeout)} is not a Go duration (e.g. 10s)`);
  const metadata = { type: 'ccaas', label } as const;
  const connection = { address: options.address, dial_timeout: dialTimeout, tls_required: false } as const;
  const code = await deterministicTarGz([['connection.json', `${JSON.stringify(connection, null, 2)}\n`]]);
  const bytes = await deterministicTarGz([
    ['metadata.json', `${JSON.stringify(metadata)}\n`],
    ['code.tar.gz', code],
  ]);
  return { label, packageId: packageIdOf(label, bytes), bytes, metadata, connection };
}

/** Reads a package file's entries (names in archive order, with their bytes). */
export async function readTarGz(bytes: Buffer): Promise<Array<{ name: string; mode: number; mtime: number; data: Buffer }>> {
  const entries: Array<{ name: string; mode: number; mtime: number; data: Buffer }> = [];
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        entries.push({ name: entry.path, mode: entry.mode ?? 0, mtime: entry.mtime?.getTime() ?? -1, data: Buffer.concat(chunks) }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('close', () => resolve());
    parser.end(bytes);
  });
  return entries;
}

/** Reads a package written by {@link buildCcaasPackage} (or Fabric's tools) back. */
export async function readCcaasPackage(file: string): Promise<{ metadata: unknown; connection: unknown; packageId: string }> {
  const bytes = await readFile(file);
  const outer = await readTarGz(bytes);
  const metadata = outer.find((e) => e.name === 'metadata.json');
  const code = outer.find((e) => e.name === 'code.tar.gz');
  if (!metadata || !code) throw new Error(`${file} is not a chaincode package (no metadata.json and code.tar.gz)`);
  const meta = JSON.parse(metadata.data.toString('utf8')) as { label?: unknown };
  const connection = (await readTarGz(code.data)).find((e) => e.name === 'connection.json');
  return {
    metadata: meta,
    connection: connection ? JSON.parse(connection.data.toString('utf8')) : undefined,
    packageId: packageIdOf(String(meta.label), bytes),
  };
}
