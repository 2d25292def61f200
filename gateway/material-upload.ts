/**
 * Reading one material upload (`multipart/form-data`: the fields `holderCodeType`, `holderCode`,
 * `kind`, `caseNo?`, then one part `file`) into the material store: the fields are checked before
 * a byte of the file is read, the file is streamed to the store (hashed on the way, never whole in
 * memory), its type is judged from its first bytes, and its size is capped.
 *
 * A refused upload leaves nothing in the store, and the rest of the request body is read and
 * discarded so that the connection stays usable for the client's next request.
 */
import Ajv from 'ajv';
import type { FastifyRequest } from 'fastify';
import { PassThrough, finished, type Readable } from 'node:stream';
import { ProblemError, type FieldError } from '../service/problem';
import type { MaterialStore, StagedBlob } from './material-store';
import { SNIFF_BYTES, checkMediaType } from './media-type';
import { TEXT_PATTERN } from './routes/record-schemas';

/** The upload's fields, validated. */
export interface UploadFields {
  readonly holderCodeType: string;
  readonly holderCode: string;
  readonly kind: string;
  readonly caseNo?: string;
}

/** A validated upload whose bytes wait in the store's staging area. */
export interface MaterialUpload {
  readonly fields: UploadFields;
  readonly staged: StagedBlob;
  /** Sniffed from the bytes and agreeing with the declared type. */
  readonly mediaType: string;
}

const TEXT = TEXT_PATTERN;

const FIELDS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['holderCodeType', 'holderCode', 'kind'],
  properties: {
    holderCodeType: { type: 'string', pattern: '^[0-9]{3}$' },
    holderCode: { type: 'string', minLength: 1, maxLength: 64 },
    kind: { type: 'string', minLength: 1, maxLength: 64, pattern: TEXT },
    caseNo: { type: 'string', minLength: 1, maxLength: 64, pattern: TEXT },
  },
} as const;

const validateFields = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false }).compile(FIELDS_SCHEMA);

/** The file part's name. */
export const FILE_FIELD = 'file';

/** The whole multipart body, for the OpenAPI document: the fields, then one non-empty file. */
export const UPLOAD_DOCUMENT_SCHEMA = {
  ...FIELDS_SCHEMA,
  required: [...FIELDS_SCHEMA.required, FILE_FIELD],
  properties: { ...FIELDS_SCHEMA.properties, [FILE_FIELD]: { type: 'string', format: 'binary', minLength: 1, description: 'the material, last' } },
} as const;

function invalid(detail: string, errors?: FieldError[]): ProblemError {
  return new ProblemError('VALIDATION_FAILED', detail, errors ? { errors } : {});
}

function checkFields(fields: Record<string, string>): UploadFields {
  if (validateFields(fields)) return fields as unknown as UploadFields;
  const errors = (validateFields.errors ?? []).map((e) => {
    const params = e.params as { additionalProperty?: string; missingProperty?: string };
    const name = params.missingProperty ?? params.additionalProperty ?? e.instancePath.slice(1);
    return { field: `body/${name}`, message: e.keyword === 'additionalProperties' ? 'is not a known field' : (e.message ?? 'is not valid') };
  });
  throw invalid(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
}

/** Reads and discards what is left of the request, so the connection can serve the next one. */
function discardRest(request: FastifyRequest, file: Readable | undefined): void {
  if (file && !file.readableEnded) {
    file.unpipe();
    file.on('error', () => undefined);
    file.resume();
  }
  if (!request.raw.complete) request.raw.resume();
}

/** Limits for `request.parts()`. */
export function uploadLimits(maxBytes: number): { fileSize: number; files: number; fields: number; fieldSize: number; parts: number; headerPairs: number } {
  return { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 1024, parts: 10, headerPairs: 100 };
}

/**
 * Reads the upload of `request` into `store` (staged: the caller commits or discards it).
 * `onFields` runs on the validated fields before the file is read (e.g. to compute the holder
 * reference, which may refuse the holder code).
 * @throws ProblemError `VALIDATION_FAILED` (missing, unknown or repeated fields; no file, two
 * files, fields after the file, empty file), `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`.
 */
export async function readMaterialUpload(
  request: FastifyRequest,
  store: MaterialStore,
  maxBytes: number,
  onFields: (fields: UploadFields) => void,
): Promise<MaterialUpload> {
  if (!request.isMultipart()) throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', 'send the material as multipart/form-data');
  const raw: Record<string, string> = {};
  let fields: UploadFields | undefined;
  let upload: MaterialUpload | undefined;
  let file: Readable | undefined;
  try {
    for await (const part of request.parts({ limits: uploadLimits(maxBytes) })) {
      if (upload) {
        throw invalid(`nothing may follow the file (got ${part.type} ${JSON.stringify(part.fieldname)})`);
      }
      if (part.type === 'field') {
        if (Object.hasOwn(raw, part.fieldname)) throw invalid(`field ${part.fieldname} is repeated`);
        if (part.valueTruncated || typeof part.value !== 'string') throw invalid(`field ${part.fieldname} is too long`);
        raw[part.fieldname] = part.value;
        continue;
      }
      file = part.file;
      if (part.fieldname !== FILE_FIELD) throw invalid(`the file part must be named ${FILE_FIELD}`);
      fields = checkFields(raw);
      onFields(fields);
      let mediaType: string | undefined;
      const staged = await stageFile(part.file, store, maxBytes, (head) => {
        if (head.length === 0) throw invalid('the file is empty');
        mediaType = checkMediaType(part.mimetype, head);
      });
      upload = { fields, staged, mediaType: mediaType as string };
    }
    if (!upload) {
      if (!fields) checkFields(raw);
      throw invalid('a file part is required', [{ field: `body/${FILE_FIELD}`, message: 'is required' }]);
    }
    return upload;
  } catch (error) {
    await upload?.staged.discard();
    discardRest(request, file);
    const code = (error as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT') throw invalid('exactly one file may be sent');
    throw error;
  }
}

/** Streams one multipart file into the store's staging area, refusing it past `maxBytes`. */
async function stageFile(file: Readable & { truncated?: boolean }, store: MaterialStore, maxBytes: number, inspect: (head: Buffer) => void): Promise<StagedBlob> {
  // The store reads a pass-through, not the multipart stream itself: if the store gives up, the
  // multipart stream must still be drained (destroying it would stall the parser).
  const pass = new PassThrough({ highWaterMark: 64 * 1024 });
  const tooLarge = (): ProblemError => new ProblemError('PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes`);
  file.once('limit', () => pass.destroy(tooLarge()));
  // `pipe` forwards neither errors nor an abort (the client went away): end the store's read too.
  // `finished`, unlike 'error' and 'close' listeners, also reports what happened before it was
  // called — a body already read in full (e.g. while an Idempotency-Key was looked up) may have
  // failed the file part before this code saw it, and waiting for its events would hang.
  finished(file, (error) => {
    if (!error) return;
    pass.destroy((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' ? new ProblemError('MALFORMED_REQUEST', 'the upload ended before the file did') : error);
  });
  file.pipe(pass);
  const staged = await store.stage(pass, { maxBytes, inspect, inspectBytes: SNIFF_BYTES });
  if (file.truncated) {
    await staged.discard();
    throw tooLarge();
  }
  return staged;
}
