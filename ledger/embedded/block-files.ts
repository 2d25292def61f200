/**
 * Blocks in append-only files, as Fabric's peer keeps them (its block store writes
 * `blockfile_000000`, `blockfile_000001`, … of up to 64 MiB and indexes them in LevelDB).
 *
 * Blocks are most of a ledger's bytes (63 % in a soak) and are written once and seldom read.
 * Kept inside LevelDB they were rewritten by every compaction of their level and their tables
 * were memory-mapped into the process; in a file each block is written once and read with a
 * positioned read when someone asks for it.
 *
 * Crash safety: a block is written (and, with `sync`, flushed) at the end of the current file
 * before the LevelDB batch that records where it is and the file's new end; that batch is the
 * commit. `open` cuts off whatever lies past the recorded end: a block whose batch never landed.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Fabric's default `maxBlockfileSize`. */
const MAX_FILE_BYTES_DEFAULT = 64 * 1024 * 1024;
const FILE_NAME = /^blockfile_(\d{6})$/;
const OPEN_READERS = 8;

/** Where a block's bytes are. */
export interface BlockLocation {
  readonly file: number;
  readonly offset: number;
  readonly length: number;
}

/** The committed end of the block files: everything after `end` of `file` is not part of the ledger. */
export interface BlockFilesEnd {
  readonly file: number;
  readonly end: number;
}

/** Where the block files end once the block at `location` is committed. */
export function endAfter(location: BlockLocation): BlockFilesEnd {
  return { file: location.file, end: location.offset + location.length };
}

/** Whether the block at `location` lies within the committed `end`. */
export function isWithin(location: BlockLocation, end: BlockFilesEnd): boolean {
  const after = endAfter(location);
  return after.file < end.file || (after.file === end.file && after.end <= end.end);
}

const LOCATION_BYTES = 16;

/** A location as the index stores it: file u32, offset u64, length u32, big-endian. */
export function encodeLocation(location: BlockLocation): Buffer {
  const out = Buffer.alloc(LOCATION_BYTES);
  out.writeUInt32BE(location.file, 0);
  out.writeBigUInt64BE(BigInt(location.offset), 4);
  out.writeUInt32BE(location.length, 12);
  return out;
}

/** The location in an index value, or undefined when the value is not one (a block stored inline). */
export function decodeLocation(stored: Uint8Array): BlockLocation | undefined {
  if (stored.length !== LOCATION_BYTES) return undefined;
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  return { file: buf.readUInt32BE(0), offset: Number(buf.readBigUInt64BE(4)), length: buf.readUInt32BE(12) };
}

export class BlockFiles {
  readonly dir: string;
  readonly #maxFileBytes: number;
  #end: BlockFilesEnd;
  #writer: { file: number; handle: FileHandle } | undefined;
  /** Open read handles by file, least recently opened first; at most `OPEN_READERS` kept idle. */
  readonly #readers = new Map<number, { handle: Promise<FileHandle>; users: number }>();

  private constructor(dir: string, end: BlockFilesEnd, maxFileBytes: number) {
    this.dir = dir;
    this.#end = end;
    this.#maxFileBytes = maxFileBytes;
  }

  /**
   * Opens the block files in `dir` at the committed `end` (none yet: an empty ledger, or one
   * whose blocks are all stored inline): later files are removed, the last one is cut to `end`.
   */
  static open(dir: string, end: BlockFilesEnd | undefined, options: { maxFileBytes?: number } = {}): BlockFiles {
    if (mkdirSync(dir, { recursive: true }) !== undefined) syncDirectory(dirname(dir));
    const committed = end ?? { file: 0, end: 0 };
    for (const name of readdirSync(dir)) {
      const number = FILE_NAME.exec(name)?.[1];
      if (number !== undefined && Number(number) > committed.file) rmSync(join(dir, name));
    }
    const last = join(dir, fileName(committed.file));
    const size = fileSize(last);
    if (size < committed.end) {
      throw new Error(`block file ${last} holds ${size} bytes but the ledger committed ${committed.end}: blocks were lost`);
    }
    if (size > committed.end) truncateSync(last, committed.end);
    return new BlockFiles(dir, committed, options.maxFileBytes ?? MAX_FILE_BYTES_DEFAULT);
  }

  /** The committed end (what the index's metadata records). */
  get end(): BlockFilesEnd {
    return this.#end;
  }

  /**
   * Writes `bytes` after the committed end (in a new file when this one would pass 64 MiB) and,
   * with `sync`, flushes them. Until `commit(location)` the end does not move: a failed batch
   * leaves bytes the next write overwrites.
   */
  async write(bytes: Uint8Array, sync: boolean): Promise<BlockLocation> {
    const roll = this.#end.end > 0 && this.#end.end + bytes.length > this.#maxFileBytes;
    const location: BlockLocation = roll
      ? { file: this.#end.file + 1, offset: 0, length: bytes.length }
      : { file: this.#end.file, offset: this.#end.end, length: bytes.length };
    const handle = await this.#writerFor(location.file, sync);
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, location.offset + written);
      written += bytesWritten;
    }
    if (sync) await handle.datasync();
    return location;
  }

  /** The batch recording `location` landed: it is part of the ledger. */
  commit(location: BlockLocation): void {
    this.#end = endAfter(location);
  }

  async read(location: BlockLocation): Promise<Buffer> {
    const reader = this.#reader(location.file);
    reader.users += 1;
    try {
      const handle = await reader.handle;
      const out = Buffer.allocUnsafe(location.length);
      let read = 0;
      while (read < location.length) {
        const { bytesRead } = await handle.read(out, read, location.length - read, location.offset + read);
        if (bytesRead === 0) throw new Error(`block file ${location.file} ends before ${location.offset + location.length}`);
        read += bytesRead;
      }
      return out;
    } finally {
      reader.users -= 1;
      this.#closeIdleReaders();
    }
  }

  async close(): Promise<void> {
    const handles = [...this.#readers.values()].map((reader) => reader.handle.then((h) => h.close()).catch(() => undefined));
    this.#readers.clear();
    if (this.#writer) handles.push(this.#writer.handle.close());
    this.#writer = undefined;
    await Promise.all(handles);
  }

  #reader(file: number): { handle: Promise<FileHandle>; users: number } {
    let reader = this.#readers.get(file);
    if (!reader) {
      const handle = open(join(this.dir, fileName(file)), 'r');
      handle.catch(() => this.#readers.delete(file));
      reader = { handle, users: 0 };
      this.#readers.set(file, reader);
    }
    return reader;
  }

  /** A long ledger has thousands of files: keep a few open, not one descriptor per file ever read. */
  #closeIdleReaders(): void {
    for (const [file, reader] of this.#readers) {
      if (this.#readers.size <= OPEN_READERS) return;
      if (reader.users > 0) continue;
      this.#readers.delete(file);
      void reader.handle.then((h) => h.close()).catch(() => undefined);
    }
  }

  async #writerFor(file: number, sync: boolean): Promise<FileHandle> {
    if (this.#writer?.file === file) return this.#writer.handle;
    const previous = this.#writer;
    this.#writer = undefined;
    // Leaving the committed file for the next one: bytes of a failed commit past its end go.
    if (previous?.file === this.#end.file) await previous.handle.truncate(this.#end.end);
    await previous?.handle.close();
    // Read-write, created if missing, not in append mode (writes are positioned). A file after
    // the committed one holds nothing committed: emptied, in case a failed commit wrote to it.
    const handle = await open(join(this.dir, fileName(file)), constants.O_RDWR | constants.O_CREAT);
    try {
      if (file > this.#end.file) await handle.truncate(0);
      // The new file's directory entry must be durable before a committed batch points into it.
      if (sync) syncDirectory(this.dir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#writer = { file, handle };
    return handle;
  }
}

function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fileName(file: number): string {
  return `blockfile_${String(file).padStart(6, '0')}`;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
