/**
 * Reads historical licenses for bulk collection (应归尽归) from NDJSON or CSV, one record at a
 * time, so a file of any size streams through in constant memory.
 *
 * NDJSON: one `POST /v1/licenses` body per line. CSV: a header row naming the columns
 * `typeCode, number, holderName, holderCodeType, holderCode, issuedOn, validFrom, validUntil,
 * areaCode, serial, fields` — `fields` is a JSON object, `validUntil` may be empty (长期).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export interface ImportRecord {
  /** 1-based line (NDJSON) or record (CSV) number, for error reports. */
  readonly line: number;
  /** The license request body, or why the line could not be read. */
  readonly license?: Record<string, unknown>;
  readonly error?: string;
}

export type ImportFormat = 'ndjson' | 'csv';

export function formatOf(path: string): ImportFormat {
  return /\.csv$/i.test(path) ? 'csv' : 'ndjson';
}

async function* ndjson(path: string): AsyncGenerator<ImportRecord> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) yield { line, error: 'not a JSON object' };
      else yield { line, license: value as Record<string, unknown> };
    } catch (error) {
      yield { line, error: `not valid JSON: ${(error as Error).message}` };
    }
  }
}

function fromCsvRow(row: Record<string, string>): Record<string, unknown> {
  const license: Record<string, unknown> = {
    typeCode: row.typeCode,
    number: row.number,
    holder: { name: row.holderName, codeType: row.holderCodeType, code: row.holderCode },
    issuedOn: row.issuedOn,
    validFrom: row.validFrom,
    validUntil: row.validUntil ? row.validUntil : null,
    areaCode: row.areaCode,
    fields: row.fields ? JSON.parse(row.fields) : {},
  };
  if (row.serial) license.serial = row.serial;
  return license;
}

async function* csv(path: string): AsyncGenerator<ImportRecord> {
  const parser = createReadStream(path).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }));
  let line = 0;
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    line++;
    try {
      yield { line, license: fromCsvRow(row) };
    } catch (error) {
      yield { line, error: `bad fields column: ${(error as Error).message}` };
    }
  }
}

export function readImportRecords(path: string, format: ImportFormat = formatOf(path)): AsyncGenerator<ImportRecord> {
  return format === 'csv' ? csv(path) : ndjson(path);
}
