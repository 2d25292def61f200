/**
 * What a material file really is, judged from its first bytes (magic numbers), never from its
 * name or the client's word alone: a declared type that disagrees with the bytes is refused, so
 * the ledger's `mediaType` can be trusted by whoever receives the material later.
 *
 * Small on purpose: the handful of formats applicants submit (standards: PDF, images, OFD — the
 * Chinese fixed-layout format, a ZIP package whose root holds `OFD.xml`, GB/T 33190).
 */
import { ProblemError } from '../service/problem';

/** Media types accepted for materials. */
export const ALLOWED_MEDIA_TYPES: readonly string[] = [
  'application/pdf',
  'application/ofd',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/tiff',
  'image/webp',
];

/** Bytes of the head the sniffer looks at (an OFD's `OFD.xml` entry is usually near the start). */
export const SNIFF_BYTES = 64 * 1024;

/** Declared types that say nothing about the content: the sniffed type stands. */
const UNINFORMATIVE = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/** Other names clients use for the same types. */
const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'application/x-pdf': 'application/pdf',
  'application/x-ofd': 'application/ofd',
  'image/x-png': 'image/png',
};

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((b, i) => head[offset + i] === b);
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

const ZIP_LOCAL_HEADER = 0x04034b50;

/** Whether a ZIP's local file headers within `head` include a root entry `OFD.xml`. */
function zipHasOfdRoot(head: Buffer): boolean {
  let offset = 0;
  while (offset + 30 <= head.length && head.readUInt32LE(offset) === ZIP_LOCAL_HEADER) {
    const flags = head.readUInt16LE(offset + 6);
    const compressedSize = head.readUInt32LE(offset + 18);
    const nameLength = head.readUInt16LE(offset + 26);
    const extraLength = head.readUInt16LE(offset + 28);
    if (offset + 30 + nameLength > head.length) return false;
    const name = head.toString('latin1', offset + 30, offset + 30 + nameLength);
    if (name === 'OFD.xml') return true;
    // With a data descriptor (flag bit 3) the size is unknown here: stop walking.
    if ((flags & 0x08) !== 0) return false;
    offset += 30 + nameLength + extraLength + compressedSize;
  }
  return false;
}

/**
 * The media type of a file from its first bytes, or undefined when no known signature matches.
 * @example sniffMediaType(Buffer.from('%PDF-1.7\n')) // 'application/pdf'
 */
export function sniffMediaType(head: Buffer): string | undefined {
  // PDF readers accept the header anywhere in the first 1024 bytes (ISO 32000 implementation note).
  if (head.subarray(0, 1024).includes('%PDF-', 0, 'latin1')) return 'application/pdf';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return zipHasOfdRoot(head) ? 'application/ofd' : 'application/zip';
  return undefined;
}

/** A declared media type without parameters, lower-cased, aliases resolved. */
export function normaliseMediaType(declared: string | undefined): string {
  const bare = (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return ALIASES[bare] ?? bare;
}

/**
 * The media type to record for a file: the sniffed type, if it is allowed and agrees with the
 * declared one (an uninformative declaration such as `application/octet-stream` agrees with
 * anything; `application/zip` agrees with OFD, which is a ZIP package).
 * @throws ProblemError `UNSUPPORTED_MEDIA_TYPE` (415) otherwise.
 */
export function checkMediaType(declared: string | undefined, head: Buffer): string {
  const sniffed = sniffMediaType(head);
  if (sniffed === undefined || !ALLOWED_MEDIA_TYPES.includes(sniffed)) {
    throw new ProblemError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the file is ${sniffed ?? 'of an unrecognised type'}; accepted: ${ALLOWED_MEDIA_TYPES.join(', ')}`,
    );
  }
  const claimed = normaliseMediaType(declared);
  const agrees = UNINFORMATIVE.has(claimed) || claimed === sniffed || (claimed === 'application/zip' && sniffed === 'application/ofd');
  if (!agrees) {
    throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', `the file was declared ${claimed} but its content is ${sniffed}`);
  }
  return sniffed;
}
