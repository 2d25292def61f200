/**
 * What a presented license must look like to be verified at all. A document that fails here is
 * `400 INVALID_DOCUMENT` — a malformed request, not a verification result. The schema checks shape
 * only; whether the content is genuine is the digest's and the seal's business, so unknown
 * properties are kept (an added property changes the digest and reads as altered), never stripped.
 */
import { DIGEST_PATTERN } from '../domain/digest';
import { BATCH_MANIFEST_FORMAT, LICENSE_DOCUMENT_FORMAT, type SealedLicense, licenseDocumentDigest } from '../domain/license-document';
import { isLicenseIdentifier } from '../domain/license-identifier';
import type { FieldError } from '../service/problem';
import { ProblemError } from '../service/problem';

const SM3 = { type: 'string', pattern: '^sm3:[0-9a-f]{64}$' } as const;
const DATE = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;
const TEXT = { type: 'string', maxLength: 1000 } as const;

/** JSON Schema of a `SealedLicense` (domain/license-document.ts). */
export const SEALED_LICENSE_SCHEMA = {
  $id: 'SealedLicense',
  type: 'object',
  required: ['document', 'digest', 'seal'],
  properties: {
    document: {
      type: 'object',
      required: [
        'format', 'identifier', 'name', 'typeCode', 'number', 'issuerName', 'issuerCode', 'issuedOn', 'holderName',
        'holderCodeType', 'holderCode', 'validFrom', 'validUntil', 'areaCode', 'version', 'previousIdentifier', 'fields',
      ],
      properties: {
        format: { const: LICENSE_DOCUMENT_FORMAT },
        identifier: { type: 'string', maxLength: 200 },
        name: TEXT,
        typeCode: { type: 'string', maxLength: 64 },
        number: TEXT,
        issuerName: TEXT,
        issuerCode: { type: 'string', maxLength: 64 },
        issuedOn: DATE,
        holderName: TEXT,
        holderCodeType: { type: 'string', maxLength: 16 },
        holderCode: { type: 'string', maxLength: 64 },
        validFrom: DATE,
        validUntil: { anyOf: [DATE, { type: 'null' }] },
        areaCode: { type: 'string', maxLength: 16 },
        version: { type: 'integer', minimum: 1, maximum: 999 },
        previousIdentifier: { anyOf: [{ type: 'string', maxLength: 200 }, { type: 'null' }] },
        fields: { type: 'object' },
      },
    },
    digest: SM3,
    seal: {
      type: 'object',
      required: ['format', 'sealId', 'signature'],
      properties: {
        format: { enum: ['GBT38540', 'PKCS7'] },
        sealId: { type: 'string', minLength: 1, maxLength: 128 },
        signature: { type: 'string', minLength: 4, maxLength: 1_000_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' },
        signerName: TEXT,
        sealName: TEXT,
        batch: {
          type: 'object',
          required: ['manifest', 'proof'],
          properties: {
            manifest: {
              type: 'object',
              required: ['format', 'batchId', 'root', 'size'],
              properties: {
                format: { const: BATCH_MANIFEST_FORMAT },
                batchId: { type: 'string', minLength: 1, maxLength: 128 },
                root: SM3,
                size: { type: 'integer', minimum: 1 },
              },
            },
            proof: {
              type: 'object',
              required: ['index', 'size', 'path'],
              properties: {
                index: { type: 'integer', minimum: 0 },
                size: { type: 'integer', minimum: 1 },
                path: {
                  type: 'array',
                  maxItems: 64,
                  items: { type: 'object', required: ['side', 'hash'], properties: { side: { enum: ['L', 'R'] }, hash: SM3 } },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** JSON Schema of a digest string as clients supply them. */
export const DIGEST_SCHEMA = { type: 'string', pattern: DIGEST_PATTERN } as const;

/** The schema's field errors as an `INVALID_DOCUMENT` problem. */
export function invalidDocument(detail: string, errors?: readonly FieldError[]): ProblemError {
  return new ProblemError('INVALID_DOCUMENT', detail, errors ? { errors } : {});
}

/**
 * Checks what the schema cannot (a well-formed identifier, content that canonicalises) and
 * returns the recomputed digest. Throws `INVALID_DOCUMENT`.
 */
export function recomputeDigest(sealed: SealedLicense): string {
  if (!isLicenseIdentifier(sealed.document.identifier)) {
    throw invalidDocument('document.identifier is not a GB/T 36904 license identifier', [{ field: 'body/document/document/identifier', message: 'is not a valid identifier' }]);
  }
  try {
    return licenseDocumentDigest(sealed.document);
  } catch (error) {
    throw invalidDocument(`the document cannot be canonicalised: ${(error as Error).message}`);
  }
}
