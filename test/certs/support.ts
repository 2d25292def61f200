/** Helpers shared by the certs/ tests: temporary folders and the openssl binary. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A fresh folder under the OS temp dir, removed when the test ends. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'lc-certs-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs openssl; resolves with stdout+stderr and the exit code (never rejects on a non-zero exit). */
export async function openssl(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('openssl', args);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Writes `files` (name → content) into `dir` and returns their paths by name. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    out[name] = path.join(dir, name);
    await writeFile(out[name], content);
  }
  return out;
}

/** fabric-shim's ClientIdentity over a minimal stub, as chaincode would build it. */
export function clientIdentity(mspid: string, certificatePem: string): {
  getID(): string;
  getMSPID(): string;
  getAttributeValue(name: string): string | null;
} {
  const { ClientIdentity } = require('fabric-shim') as { ClientIdentity: new (stub: unknown) => ReturnType<typeof clientIdentity> };
  return new ClientIdentity({
    getCreator: () => ({ mspid, idBytes: Buffer.from(certificatePem) }),
    getChannelID: () => 'ch',
    getTxID: () => 'tx',
  });
}
