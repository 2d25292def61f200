/**
 * A pass-through that checks bytes against the digest and size the ledger holds for them while
 * they flow. The last chunk is held back until the digest is known, so a consumer of altered
 * bytes never receives a complete body: it gets an error instead of the end of the stream.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createDigester, parseDigest } from '../domain/digest';

/** The bytes differ from the ledger's record (`INTEGRITY_FAILED`). */
export class IntegrityError extends Error {
  readonly code = 'INTEGRITY_FAILED';
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(`stored bytes hash to ${actual}, the ledger records ${expected}`);
    this.name = 'IntegrityError';
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A Transform that passes bytes through unchanged and fails with {@link IntegrityError} at the
 * end when their digest (or size) is not `expectedDigest` (`expectedSize`).
 */
export function createDigestCheckStream(expectedDigest: string, expectedSize: number): Transform {
  const digester = createDigester(parseDigest(expectedDigest).algorithm);
  let size = 0;
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      digester.update(chunk);
      size += chunk.length;
      if (size > expectedSize) {
        callback(new IntegrityError(expectedDigest, `more than ${expectedSize} bytes`));
        return;
      }
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback: TransformCallback): void {
      const actual = digester.digest();
      if (actual !== expectedDigest || size !== expectedSize) {
        callback(new IntegrityError(expectedDigest, size !== expectedSize ? `${size} bytes, not ${expectedSize}` : actual));
        return;
      }
      callback(null, held);
    },
  });
}
