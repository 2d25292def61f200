/**
 * Bulk collection (应归尽归) from a file: streams NDJSON or CSV records to `POST
 * /v1/licenses/batch` in batches, with a progress bar, and resumes after an interruption without
 * duplicates:
 * - a state file beside the input records how many batches were answered, so a rerun skips them;
 * - every batch is sent with an Idempotency-Key derived from the file and the batch's content, so
 *   a batch whose answer was lost is answered again by the gateway instead of issued twice
 *   (and the chaincode skips licenses a batch already recorded).
 * Items the gateway refuses are written, with their line number and problem, to an errors file.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { canonicalJson } from '../domain/canonical-json';
import { readImportRecords, type ImportRecord } from './import-records';

export interface BulkImportOptions {
  readonly file: string;
  readonly gatewayUrl: string;
  readonly token: string;
  /** Licenses per request (≤ 10,000; default 1,000). */
  readonly batchSize?: number;
  /** Show a progress bar on stderr (default: when stderr is a terminal). */
  readonly progressBar?: boolean;
  /** Stop after this many batches (for tests of resumption). */
  readonly maxBatches?: number;
}

export interface BulkImportReport {
  readonly records: number;
  readonly issued: number;
  readonly failed: number;
  readonly batchesSent: number;
  readonly batchesSkipped: number;
  readonly seconds: number;
  readonly statePath: string;
  readonly errorsPath: string;
}

interface ImportState {
  readonly fileId: string;
  readonly batchSize: number;
  batchesDone: number;
  issued: number;
  failed: number;
}

type BatchAnswer = { results: Array<{ index: number; identifier?: string; error?: { code: string; detail: string } }> };

/** Identifies the input by size and a hash of its first MiB: a changed file starts over. */
function fileIdOf(path: string): string {
  const { size } = statSync(path);
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, head, 0, head.length, 0);
    return createHash('sha256').update(`${size}:`).update(head).digest('hex');
  } finally {
    closeSync(fd);
  }
}

function saveState(path: string, state: ImportState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}

/** Longest a batch request may take (10 000 licenses sealed and anchored) before it is retried. */
const BATCH_REQUEST_TIMEOUT_MS = 10 * 60_000;

async function post(url: string, token: string, key: string, body: string): Promise<{ status: number; json: unknown }> {
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        // A gateway that never answers is retried (same Idempotency-Key), not waited for forever.
        signal: AbortSignal.timeout(BATCH_REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      const json: unknown = await response.json().catch(() => undefined);
      if (status !== 429 && status < 500) return { status, json };
    } catch {
      // network error or timeout: retried like a 503
    }
    if (attempt >= 7) throw new Error(`batch request failed after ${attempt + 1} attempts (last status ${status || 'network error'})`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 10_000)));
  }
}

export async function bulkImport(options: BulkImportOptions): Promise<BulkImportReport> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('batch size must be 1–10,000');
  const statePath = `${options.file}.import-state.json`;
  const errorsPath = `${options.file}.import-errors.ndjson`;
  const fileId = fileIdOf(options.file);
  let state: ImportState = { fileId, batchSize, batchesDone: 0, issued: 0, failed: 0 };
  if (existsSync(statePath)) {
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as ImportState;
    if (saved.fileId === fileId && saved.batchSize === batchSize) state = saved;
  }
  const skipRecords = state.batchesDone * batchSize;
  const url = `${options.gatewayUrl.replace(/\/$/, '')}/v1/licenses/batch`;
  const bar = (options.progressBar ?? process.stderr.isTTY) ? new SingleBar({ format: 'importing [{bar}] {value} records | issued {issued} | failed {failed}', stream: process.stderr }) : undefined;
  bar?.start(0, 0, { issued: state.issued, failed: state.failed });

  let records = 0;
  let batchIndex = state.batchesDone;
  let batchesSent = 0;
  let batch: ImportRecord[] = [];
  const fail = (record: ImportRecord, problem: unknown): void => {
    state.failed++;
    appendFileSync(errorsPath, `${JSON.stringify({ line: record.line, problem })}\n`);
  };

  const flush = async (): Promise<void> => {
    const sendable = batch.filter((record) => record.license !== undefined);
    for (const record of batch) if (record.error !== undefined) fail(record, { code: 'MALFORMED_REQUEST', detail: record.error });
    if (sendable.length > 0) {
      const body = canonicalJson({ licenses: sendable.map((record) => record.license) });
      const key = `import-${fileId.slice(0, 24)}-${batchIndex}-${createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
      const { status, json } = await post(url, options.token, key, body);
      if (status === 200) {
        for (const result of (json as BatchAnswer).results) {
          const record = sendable[result.index] as ImportRecord;
          if (result.error) fail(record, result.error);
          else state.issued++;
        }
      } else {
        // The whole request was refused (e.g. unauthorised): every item carries that problem.
        for (const record of sendable) fail(record, json);
      }
      batchesSent++;
    }
    batchIndex++;
    state.batchesDone = batchIndex;
    saveState(statePath, state);
    batch = [];
    bar?.update(records, { issued: state.issued, failed: state.failed });
  };

  for await (const record of readImportRecords(options.file)) {
    records++;
    if (records <= skipRecords) continue;
    batch.push(record);
    if (batch.length === batchSize) {
      await flush();
      if (options.maxBatches !== undefined && batchesSent >= options.maxBatches) break;
    }
  }
  if (batch.length > 0 && !(options.maxBatches !== undefined && batchesSent >= options.maxBatches)) await flush();
  bar?.stop();
  return {
    records,
    issued: state.issued,
    failed: state.failed,
    batchesSent,
    batchesSkipped: skipRecords / batchSize,
    seconds: (performance.now() - started) / 1000,
    statePath,
    errorsPath,
  };
}
