/**
 * Read/write sets, as Fabric records them during simulation: committed versions of every key
 * read, the bounds and results of every range query (for phantom detection), and the final
 * write to every key. Sets are sorted by key bytes (UTF-8), as the peer sorts them.
 */
import type { Version } from './keys';

export interface KVRead {
  readonly key: string;
  /** The committed version seen, or null when the key did not exist. */
  readonly version: Version | null;
}

export interface RangeQueryInfo {
  readonly startKey: string;
  /** Exclusive end; '' means unbounded. */
  readonly endKey: string;
  /** False when the chaincode stopped reading before the end of the range. */
  readonly itrExhausted: boolean;
  readonly reads: readonly KVRead[];
}

export interface KVWrite {
  readonly key: string;
  readonly isDelete: boolean;
  /** Base64 of the value; absent for deletes. */
  readonly value?: string;
}

export interface ReadWriteSet {
  readonly namespace: string;
  readonly reads: readonly KVRead[];
  readonly rangeQueries: readonly RangeQueryInfo[];
  readonly writes: readonly KVWrite[];
}

/** Orders strings by their UTF-8 bytes (JavaScript's `<` compares UTF-16 units and disagrees). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Collects reads and writes during one simulation. */
export class ReadWriteSetBuilder {
  readonly #namespace: string;
  readonly #reads = new Map<string, Version | null>();
  readonly #writes = new Map<string, Buffer | null>();
  readonly #ranges: RangeQueryInfo[] = [];

  constructor(namespace: string) {
    this.#namespace = namespace;
  }

  addRead(key: string, version: Version | null): void {
    // Reads come from one snapshot, so a second read of a key sees the same version.
    if (!this.#reads.has(key)) this.#reads.set(key, version);
  }

  addRangeQuery(info: RangeQueryInfo): void {
    this.#ranges.push(info);
  }

  addWrite(key: string, value: Buffer): void {
    this.#writes.set(key, value);
  }

  addDelete(key: string): void {
    this.#writes.set(key, null);
  }

  get hasWrites(): boolean {
    return this.#writes.size > 0;
  }

  build(): ReadWriteSet {
    const reads = [...this.#reads.entries()]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([key, version]) => ({ key, version }));
    const writes = [...this.#writes.entries()]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([key, value]): KVWrite =>
        value === null ? { key, isDelete: true } : { key, isDelete: false, value: value.toString('base64') },
      );
    return { namespace: this.#namespace, reads, rangeQueries: this.#ranges, writes };
  }
}
