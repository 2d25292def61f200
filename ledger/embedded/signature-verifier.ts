/**
 * Verifies proposal signatures (ECDSA-SHA256) on a worker thread, in micro-batches.
 *
 * Why: on this 2-core machine the main thread runs the chaincode and the commit pipeline, and
 * node:crypto's async verify still costs it ~20 µs per call in job set-up; one message per batch
 * to a worker costs ~1–2 µs per signature. Requests made in the same turn of the event loop are
 * sent together; each public key crosses to the worker once.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packBytes, transferablesOf, type PackedBytes } from '../../threads/packed-bytes';
import { KeyIds } from '../../threads/key-ids';
import { SameTurnQueue } from '../../threads/same-turn-queue';

interface Request {
  readonly keyId: number;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly resolve: (ok: boolean) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One batch: per item its message and its signature, packed (parts `2i` and `2i + 1`).
 */
export interface VerifyBatchMessage extends PackedBytes {
  readonly batch: number;
  readonly keys: ReadonlyArray<readonly [number, string]>;
  readonly keyIds: Uint32Array;
}

export interface VerifyBatchResult {
  readonly batch: number;
  readonly results: Uint8Array;
}

export class SignatureVerifier {
  readonly #worker: Worker;
  readonly #keys = new KeyIds();
  readonly #queue = new SameTurnQueue<Request>(() => this.#flush());
  readonly #inFlight = new Map<number, Request[]>();
  #nextBatch = 0;
  #failure: Error | undefined;

  constructor() {
    this.#worker = new Worker(join(__dirname, 'signature-verifier-thread.js'));
    this.#worker.unref();
    this.#worker.on('message', (message: VerifyBatchResult) => {
      const requests = this.#inFlight.get(message.batch) ?? [];
      this.#inFlight.delete(message.batch);
      requests.forEach((request, i) => request.resolve(message.results[i] === 1));
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', () => this.#fail(new Error('the signature verifier thread exited')));
  }

  /** True when `signature` is a valid ECDSA-SHA256 signature of `message` by the key in `publicKeyPem`. */
  verify(publicKeyPem: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#keys.idOf(publicKeyPem);
    return new Promise((resolve, reject) => {
      this.#queue.push({ keyId: id, message, signature, resolve, reject });
    });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error('the signature verifier is closed');
    await this.#worker.terminate();
  }

  #flush(): void {
    const batch = this.#nextBatch++;
    const requests = this.#queue.take();
    this.#inFlight.set(batch, requests);
    const keyIds = Uint32Array.from(requests, (request) => request.keyId);
    const packed = packBytes(requests.flatMap((request) => [request.message, request.signature]));
    const message: VerifyBatchMessage = { batch, keys: this.#keys.takeUnsent(), keyIds, ...packed };
    this.#worker.postMessage(message, [keyIds.buffer, ...transferablesOf(packed)]);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const requests of this.#inFlight.values()) for (const request of requests) request.reject(this.#failure);
    this.#inFlight.clear();
    for (const request of this.#queue.take()) request.reject(this.#failure);
  }
}
