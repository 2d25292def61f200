/**
 * The custodian's off-chain store of material bytes (README flow 5), content-addressed by SM3.
 *
 * Consumers depend on {@link MaterialStore}; {@link FsMaterialStore} is the default: a blob lives
 * at `<root>/ab/cdef…` (the SM3 hex split after two characters, so no folder grows too large).
 * An upload is streamed to a temporary file while it is hashed — never held whole in memory, the
 * writes of earlier blocks overlapping the hashing of later ones —, fsynced, and only then renamed
 * into place, so a blob at its address is always whole and its name is its digest. A refused or
 * failed upload leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createDigester, parseDigest } from '../domain/digest';
import { ProblemError } from '../service/problem';

/** Where a blob is and what it is. */
export interface StoredBlob {
  /** `sm3:<hex>` of the bytes. */
  readonly digest: string;
  readonly size: number;
  /** Implementation-specific address (a file path for the filesystem store). */
  readonly location: string;
  /** False when the store already held these bytes. */
  readonly created: boolean;
}

/** An upload written and hashed but not yet visible under its digest. */
export interface StagedBlob {
  readonly digest: string;
  readonly size: number;
  /** Moves the bytes to their address (durably); idempotent for equal digests. */
  commit(): Promise<StoredBlob>;
  /** Forgets the bytes. */
  discard(): Promise<void>;
}

export interface PutOptions {
  /** Largest accepted size; more is `PAYLOAD_TOO_LARGE` and nothing is kept. */
  readonly maxBytes?: number;
  /**
   * Called once with the first {@link PutOptions.inspectBytes} bytes (fewer if the stream is
   * shorter), before the rest is read; throwing aborts the upload (e.g. a media-type check).
   */
  readonly inspect?: (head: Buffer) => void | Promise<void>;
  /** Bytes given to `inspect` (default 64 KiB). */
  readonly inspectBytes?: number;
}

/** A pluggable content-addressed blob store. Digests are `sm3:<hex>`. */
export interface MaterialStore {
  /** Streams `source` in, hashing it on the way; resolves once the bytes are durable. */
  put(source: Readable, options?: PutOptions): Promise<StoredBlob>;
  /** As `put`, but the caller decides afterwards whether to keep the bytes. */
  stage(source: Readable, options?: PutOptions): Promise<StagedBlob>;
  /** The stored bytes; the stream errors (`ENOENT`) when the store does not hold them. */
  open(digest: string): Readable;
  has(digest: string): Promise<boolean>;
  /** Size of the stored bytes, or undefined when absent. */
  size(digest: string): Promise<number | undefined>;
  /** Deletes the bytes; no error when absent. */
  remove(digest: string): Promise<void>;
}

export interface FsMaterialStoreOptions {
  /** Folder of the store (e.g. `<dataDir>/materials`). */
  readonly root: string;
}

const DEFAULT_INSPECT_BYTES = 64 * 1024;

function tooLarge(maxBytes: number): ProblemError {
  return new ProblemError('PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`);
}

/** Makes a directory entry durable (rename and create are metadata of the parent). */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Bytes gathered before one write: 1 MiB. */
const WRITE_BLOCK_BYTES = 1024 * 1024;
/** Blocks being written at once, while the next ones are hashed. */
const WRITES_IN_FLIGHT = 4;

/**
 * Writes a stream's chunks to a file in blocks of {@link WRITE_BLOCK_BYTES} (one `pwritev` each, no
 * copy), up to {@link WRITES_IN_FLIGHT} at a time at their own offsets: the caller hashes the next
 * chunks on its thread while libuv's pool writes the previous ones, instead of waiting for every
 * 64 KiB write in turn. The first failure is thrown from the next call.
 */
class BlockWriter {
  readonly #handle: FileHandle;
  readonly #inFlight = new Set<Promise<void>>();
  #block: Buffer[] = [];
  #blockBytes = 0;
  #position = 0;
  #failure: { error: unknown } | undefined;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(chunk: Buffer): Promise<void> {
    this.#check();
    this.#block.push(chunk);
    this.#blockBytes += chunk.length;
    if (this.#blockBytes >= WRITE_BLOCK_BYTES) await this.#flush();
  }

  /** Writes what is gathered and waits for every write. */
  async end(): Promise<void> {
    await this.#flush();
    await Promise.all(this.#inFlight);
    this.#check();
  }

  /** Waits for the writes under way, ignoring failures (before closing the file after an error). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
  }

  async #flush(): Promise<void> {
    if (this.#blockBytes === 0) return;
    const block = this.#block;
    const at = this.#position;
    this.#position += this.#blockBytes;
    this.#block = [];
    this.#blockBytes = 0;
    const written: Promise<void> = this.#handle.writev(block, at).then(
      ({ bytesWritten }) => {
        this.#inFlight.delete(written);
        const expected = block.reduce((n, b) => n + b.length, 0);
        if (bytesWritten !== expected) this.#failure ??= { error: new Error(`short write: ${bytesWritten} of ${expected} bytes`) };
      },
      (error: unknown) => {
        this.#inFlight.delete(written);
        this.#failure ??= { error };
      },
    );
    this.#inFlight.add(written);
    if (this.#inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#check();
  }

  #check(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** The filesystem store. Call {@link FsMaterialStore.init} once before use. */
export class FsMaterialStore implements MaterialStore {
  readonly #root: string;
  readonly #tmp: string;

  constructor(options: Readonly<FsMaterialStoreOptions>) {
    this.#root = options.root;
    this.#tmp = join(options.root, 'tmp');
  }

  /** Creates the folders and removes uploads a crash left half-written. */
  async init(): Promise<void> {
    await mkdir(this.#tmp, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.#tmp)) await rm(join(this.#tmp, name), { force: true });
  }

  /** The path of a digest's blob. @throws CodedError VALIDATION_FAILED for a non-SM3 digest. */
  pathOf(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    if (algorithm !== 'sm3') throw new ProblemError('VALIDATION_FAILED', 'the material store addresses blobs by SM3');
    return join(this.#root, hex.slice(0, 2), hex.slice(2));
  }

  async put(source: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    return (await this.stage(source, options)).commit();
  }

  async stage(source: Readable, options: PutOptions = {}): Promise<StagedBlob> {
    const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const inspectBytes = options.inspectBytes ?? DEFAULT_INSPECT_BYTES;
    const temp = join(this.#tmp, `${randomBytes(12).toString('hex')}.part`);
    // The source may fail before it is read (e.g. while the file opens): its error must not go
    // unhandled; reading it below reports it.
    const unhandled = (): void => undefined;
    source.on('error', unhandled);
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx', 0o600);
    } catch (error) {
      source.off('error', unhandled);
      source.destroy();
      throw error;
    }
    const digester = createDigester('sm3');
    const writer = new BlockWriter(handle);
    let size = 0;
    try {
      // The head is held back until inspected, so a refused type never reaches the disk.
      let head: Buffer[] | undefined = options.inspect ? [] : undefined;
      let headSize = 0;
      const write = async (chunk: Buffer): Promise<void> => {
        digester.update(chunk);
        await writer.write(chunk);
      };
      const release = async (): Promise<void> => {
        const held = Buffer.concat(head as Buffer[]);
        head = undefined;
        await options.inspect?.(held);
        if (held.length > 0) await write(held);
      };
      for await (const data of source) {
        const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(maxBytes);
        if (head) {
          head.push(chunk);
          headSize += chunk.length;
          if (headSize >= inspectBytes) await release();
        } else {
          await write(chunk);
        }
      }
      if (head) await release();
      await writer.end();
      await handle.sync();
    } catch (error) {
      await writer.settle();
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    } finally {
      source.off('error', unhandled);
    }
    await handle.close();
    const digest = digester.digest();
    let settled = false;
    return {
      digest,
      size,
      commit: async () => {
        if (settled) throw new Error('staged blob already settled');
        settled = true;
        return this.#commit(temp, digest, size);
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await rm(temp, { force: true });
      },
    };
  }

  async #commit(temp: string, digest: string, size: number): Promise<StoredBlob> {
    const location = this.pathOf(digest);
    const folder = dirname(location);
    if ((await this.size(digest)) === size) {
      // Same digest, same bytes: keep the blob that is there (it may be in use).
      await unlink(temp);
      return { digest, size, location, created: false };
    }
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await rename(temp, location);
    await syncDirectory(folder);
    return { digest, size, location, created: true };
  }

  open(digest: string): Readable {
    return createReadStream(this.pathOf(digest));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  async size(digest: string): Promise<number | undefined> {
    try {
      const info = await stat(this.pathOf(digest));
      return info.isFile() ? info.size : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }
}

/** Opens (creating if needed) the filesystem store under `root`. */
export async function openFsMaterialStore(root: string): Promise<FsMaterialStore> {
  const store = new FsMaterialStore({ root });
  await store.init();
  return store;
}
