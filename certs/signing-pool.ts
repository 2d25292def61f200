/**
 * ECDSA P-256 signing on a worker thread, in micro-batches — for a process that signs for many
 * principals at a high rate (the embedded system's gateway signs every proposal).
 *
 * Why: node:crypto's async `sign` still costs the main thread ~15–20 µs per call in job set-up;
 * a batch posted to a worker costs ~1–2 µs per signature, leaving the main thread to the
 * services and the ledger. Signatures are low-S, as `newNodeSigner`'s. Keys are parsed once in
 * the worker; requests made in the same turn of the event loop travel together in one
 * transferred buffer.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseP256PrivateKey } from './keys';
import type { NodeSigner } from './signer';

export interface SignBatchMessage {
  readonly batch: number;
  readonly keys: ReadonlyArray<readonly [number, string]>;
  readonly keyIds: Uint32Array;
  /** End offset of each message within `data`. */
  readonly ends: Uint32Array;
  readonly data: Uint8Array;
}

export interface SignBatchResult {
  readonly batch: number;
  /** End offset of each signature within `data`; an empty signature means the key failed. */
  readonly ends: Uint32Array;
  readonly data: Uint8Array;
}

interface Request {
  readonly keyId: number;
  readonly message: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

export class SigningPool {
  readonly #worker: Worker;
  readonly #keyIds = new Map<string, number>();
  #newKeys: Array<readonly [number, string]> = [];
  #queue: Request[] = [];
  readonly #inFlight = new Map<number, Request[]>();
  #nextBatch = 0;
  #scheduled = false;
  #failure: Error | undefined;

  constructor() {
    this.#worker = new Worker(join(__dirname, 'signing-pool-thread.js'));
    this.#worker.unref();
    this.#worker.on('message', (result: SignBatchResult) => this.#settle(result));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', () => this.#fail(new Error('the signing thread exited')));
  }

  /** A signer for `privateKeyPem` (validated here, so a bad key fails at once, not per call). */
  signer(privateKeyPem: string): NodeSigner {
    parseP256PrivateKey(privateKeyPem);
    let keyId = this.#keyIds.get(privateKeyPem);
    if (keyId === undefined) {
      keyId = this.#keyIds.size;
      this.#keyIds.set(privateKeyPem, keyId);
      this.#newKeys.push([keyId, privateKeyPem]);
    }
    const id = keyId;
    return (message) =>
      new Promise<Uint8Array>((resolve, reject) => {
        if (this.#failure) {
          reject(this.#failure);
          return;
        }
        this.#queue.push({ keyId: id, message, resolve, reject });
        if (!this.#scheduled) {
          this.#scheduled = true;
          setImmediate(() => this.#flush());
        }
      });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error('the signing pool is closed');
    await this.#worker.terminate();
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const requests = this.#queue;
    this.#queue = [];
    const batch = this.#nextBatch++;
    this.#inFlight.set(batch, requests);
    const keyIds = new Uint32Array(requests.length);
    const ends = new Uint32Array(requests.length);
    const data = new Uint8Array(requests.reduce((n, r) => n + r.message.length, 0));
    let at = 0;
    requests.forEach((request, i) => {
      keyIds[i] = request.keyId;
      data.set(request.message, at);
      at += request.message.length;
      ends[i] = at;
    });
    const message: SignBatchMessage = { batch, keys: this.#newKeys, keyIds, ends, data };
    this.#newKeys = [];
    this.#worker.postMessage(message, [data.buffer, keyIds.buffer, ends.buffer]);
  }

  #settle(result: SignBatchResult): void {
    const requests = this.#inFlight.get(result.batch) ?? [];
    this.#inFlight.delete(result.batch);
    let start = 0;
    requests.forEach((request, i) => {
      const end = result.ends[i] as number;
      if (end === start) request.reject(new Error('signing failed'));
      else request.resolve(result.data.slice(start, end));
      start = end;
    });
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const requests of this.#inFlight.values()) for (const request of requests) request.reject(this.#failure);
    this.#inFlight.clear();
    for (const request of this.#queue) request.reject(this.#failure);
    this.#queue = [];
  }
}
