/**
 * Many byte strings packed into one buffer, for posting to a worker thread in one transfer.
 *
 * Why: posting many small Buffers clones the 8 KiB pool slab behind each of them; one packed
 * buffer (and its offsets) can be transferred instead of copied. `ends[i]` is where part `i` ends
 * within `data`; part `i` starts where part `i - 1` ends.
 */
export interface PackedBytes {
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
}

export function packBytes(parts: readonly Uint8Array[]): PackedBytes {
  const ends = new Uint32Array(parts.length);
  let size = 0;
  for (const part of parts) size += part.length;
  const data = new Uint8Array(size);
  let at = 0;
  parts.forEach((part, i) => {
    data.set(part, at);
    at += part.length;
    ends[i] = at;
  });
  return { data, ends };
}

/**
 * The parts of `packed`: views into its buffer, or with `copy` each in a buffer of its own (a part
 * handed out should not keep the whole batch alive).
 */
export function unpackBytes(packed: PackedBytes, copy = false): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const end of packed.ends) {
    parts.push(copy ? packed.data.slice(start, end) : packed.data.subarray(start, end));
    start = end;
  }
  return parts;
}

/** The buffers to list as transferred when posting `packed`. */
export function transferablesOf(packed: PackedBytes): ArrayBuffer[] {
  return [packed.data.buffer as ArrayBuffer, packed.ends.buffer as ArrayBuffer];
}
