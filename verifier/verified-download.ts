/**
 * Bytes that are checked before they are released: a delivery is streamed to a private temporary
 * file while it is hashed (never held whole in memory), and only a file whose digest and size equal
 * the ledger's is handed on. Anything else is deleted and reported as `INTEGRITY_FAILED`.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createDigester, parseDigest } from '../domain/digest';
import { ProblemError } from '../service/problem';

/** A delivery whose bytes matched: read it once, then it is gone. */
export interface VerifiedFile {
  readonly digest: string;
  readonly size: number;
  /** Streams the bytes; the file is removed when the stream closes (finished or aborted). */
  open(): Readable;
  /** Removes the file without reading it. */
  discard(): Promise<void>;
}

/** What the ledger says the bytes are. */
export interface Expected {
  /** The ledger digest (`sm3:` or `sha256:`), in whose algorithm the bytes are hashed. */
  readonly digest: string;
  /** The ledger size. */
  readonly size: number;
}

/** A folder of temporary files for deliveries being checked. */
export class VerifiedDownloads {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Creates the folder and removes files a crash left behind. */
  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.#dir)) await rm(join(this.#dir, name), { force: true });
  }

  /**
   * Writes `source` to a temporary file while hashing it, and returns it only when digest and size
   * are the expected ones. Throws `INTEGRITY_FAILED` (the file is deleted) otherwise; the thrown
   * problem's `cause` holds what was received, for the log.
   */
  async receive(source: Readable, expected: Expected): Promise<VerifiedFile> {
    const { algorithm } = parseDigest(expected.digest);
    const path = join(this.#dir, `${randomBytes(12).toString('hex')}.part`);
    const handle = await open(path, 'wx', 0o600);
    const digester = createDigester(algorithm);
    let size = 0;
    try {
      for await (const data of source) {
        const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
        size += chunk.length;
        // More bytes than the ledger recorded can never match: stop reading at once.
        if (size > expected.size) throw mismatch(expected, { size, digest: null });
        digester.update(chunk);
        await handle.write(chunk);
      }
      const digest = digester.digest();
      if (digest !== expected.digest || size !== expected.size) throw mismatch(expected, { size, digest });
    } catch (error) {
      source.destroy();
      await handle.close().catch(() => undefined);
      await rm(path, { force: true });
      throw error;
    }
    await handle.close();
    let taken = false;
    return {
      digest: expected.digest,
      size,
      open: () => {
        if (taken) throw new Error('a verified file is read once');
        taken = true;
        const stream = createReadStream(path);
        stream.once('close', () => void rm(path, { force: true }));
        return stream;
      },
      discard: async () => {
        taken = true;
        await rm(path, { force: true });
      },
    };
  }
}

function mismatch(expected: Expected, received: { size: number; digest: string | null }): ProblemError {
  return new ProblemError('INTEGRITY_FAILED', 'the bytes delivered by the custodian do not match the digest recorded on the ledger; they were discarded', {
    cause: { expected, received },
  });
}
