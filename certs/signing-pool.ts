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
import { packBytes, transferablesOf, unpackBytes, type PackedBytes } from '../threads/packed-bytes';
import { KeyIds } from '../threads/key-ids';
import { SameTurnQueue } from '../threads/same-turn-queue';
import { parseP256PrivateKey } from './keys';
import type { NodeSigner } from './signer';

/** Messages to sign, packed (`packed-bytes.ts`), with the key of each. */
export interface SignBatchMessage extends PackedBytes {
  readonly batch: number;
  readonly keys: ReadonlyArray<readonly [number, string]>;
  readonly keyIds: Uint32Array;
}

/** The signatures, packed like the request; an empty signature means the key failed. */
export interface SignBatchResult extends PackedBytes {
  readonly batch: number;
}

interface Request {
  readonly keyId: number;
  readonly message: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

export class SigningPool {
  readonly #worker: Worker;
  readonly #keys = new KeyIds();
  readonly #queue = new SameTurnQueue<Request>(() => this.#flush());
  readonly #inFlight = new Map<number, Request[]>();
  #nextBatch = 0;
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
    const id = this.#keys.idOf(privateKeyPem);
    return (message) =>
      new Promise<Uint8Array>((resolve, reject) => {
        if (this.#failure) {
          reject(this.#failure);
          return;
        }
        this.#queue.push({ keyId: id, message, resolve, reject });
      });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error('the signing pool is closed');
    await this.#worker.terminate();
  }

  #flush(): void {
    const requests = this.#queue.take();
    const batch = this.#nextBatch++;
    this.#inFlight.set(batch, requests);
    const keyIds = Uint32Array.from(requests, (request) => request.keyId);
    const packed = packBytes(requests.map((request) => request.message));
    const message: SignBatchMessage = { batch, keys: this.#keys.takeUnsent(), keyIds, ...packed };
    this.#worker.postMessage(message, [keyIds.buffer, ...transferablesOf(packed)]);
  }

  #settle(result: SignBatchResult): void {
    const requests = this.#inFlight.get(result.batch) ?? [];
    this.#inFlight.delete(result.batch);
    const signatures = unpackBytes(result, true);
    requests.forEach((request, i) => {
      const signature = signatures[i];
      if (signature === undefined || signature.length === 0) request.reject(new Error('signing failed'));
      else request.resolve(signature);
    });
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const requests of this.#inFlight.values()) for (const request of requests) request.reject(this.#failure);
    this.#inFlight.clear();
    for (const request of this.#queue.take()) request.reject(this.#failure);
  }
}
