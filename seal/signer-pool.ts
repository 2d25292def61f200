/**
 * Software seal keys signing on worker threads: a {@link SignerPool} holds the keys on N threads
 * (default: one per core but the caller's) and hands out {@link SealSigner}s whose `sign` runs there, so the
 * caller's event loop — the gateway's, which also runs the ledger — only encodes and sends.
 *
 * Each signature is checked against the signer's certificate on the thread that made it, before it
 * leaves the pool — SM2 with the key holder's form of the verification equation, which costs less
 * than signing ({@link Sm2SelfCheck}), RSA by verifying; the signers say so (`checksOwnSignatures`),
 * and seal signing then skips its own check on the calling thread.
 * A thread holds at most one batch: requests wait in one queue, and each thread that is free takes
 * its share of it in one message.
 *
 * A thread that dies (an uncaught error, an out-of-memory kill) fails the signatures it held —
 * they reject, and seal signing reports `SEAL_SIGNER_FAILED` — and is replaced for the next
 * request. {@link SignerPool.close} ends every thread; signatures still outstanding reject.
 * An idle pool does not keep the process alive.
 *
 * The in-thread {@link newSoftwareSigner} stays the signer of tests and command-line tools.
 *
 * @example
 * ```ts
 * const pool = new SignerPool();
 * const signer = pool.signer(certificateDer, importPrivateKeyPem(pem));
 * const signature = await signWithSeal({ seal, signer, digest, propertyInfo: identifier });
 * await pool.close();
 * ```
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packBytes, transferablesOf, unpackBytes, type PackedBytes } from '../threads/packed-bytes';
import { SameTurnQueue } from '../threads/same-turn-queue';
import { sealError } from './codes';
import type { SealAlgorithm, SealPrivateKey } from './keys';
import { keyMatchesCertificate, type SealSigner } from './signer';
import { Sm2SelfCheck } from './sm2-self-check';
import { parseCertificate } from './x509';

export interface SignerPoolOptions {
  /**
   * Worker threads; default: one per core but one, at least one. The caller's event loop needs a
   * core of its own: in the gateway (2 cores, 64 clients) one signer thread used 12 % less CPU
   * per license than two — bigger batches, fewer wake-ups, no signer preempting the event loop —
   * and issued more licenses per second.
   */
  readonly threads?: number;
}

/** The default number of threads: `availableParallelism() - 1`, at least 1. */
export function defaultSignerThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** A key as the threads hold it (the public half is the certificate's, for the check). */
export type PoolKeyMessage =
  | { readonly type: 'key'; readonly id: number; readonly algorithm: 'SM2'; readonly privateKey: Uint8Array; readonly publicKey: Uint8Array; readonly certificatePoint: Uint8Array }
  | { readonly type: 'key'; readonly id: number; readonly algorithm: 'RSA'; readonly pkcs8: Uint8Array; readonly spki: Uint8Array };

/** Signatures to make: the to-be-signed bytes packed (`packed-bytes.ts`), with the key of each. */
export interface PoolSignMessage extends PackedBytes {
  readonly type: 'sign';
  readonly batch: number;
  readonly keyIds: Uint32Array;
}

/** For tests: the thread throws an uncaught error on its next batch, as a crashing thread would. */
export interface PoolCrashMessage {
  readonly type: 'crash';
}

export type PoolMessage = PoolKeyMessage | PoolSignMessage | PoolCrashMessage;

/** The signatures of one batch, packed like the request; `errors[i]` set where signature `i` failed. */
export interface PoolSignedMessage extends PackedBytes {
  readonly batch: number;
  readonly errors: ReadonlyArray<string | null> | null;
}

interface Job {
  readonly keyId: number;
  readonly tbs: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly inFlight: Map<number, Job[]>;
  pending: number;
  /** Why it stopped, once it has. */
  ended: Error | undefined;
  lastError: Error | undefined;
}

const THREAD_FILE = join(__dirname, 'signer-pool-thread.js');

/** Worker threads holding software seal keys. See the module comment. */
export class SignerPool {
  /** Number of threads. */
  readonly size: number;
  readonly #threads: Array<Thread | undefined>;
  readonly #keys: PoolKeyMessage[] = [];
  readonly #queue = new SameTurnQueue<Job>(() => this.#flush());
  #nextBatch = 0;
  #closed: Error | undefined;

  constructor(options: Readonly<SignerPoolOptions> = {}) {
    const threads = options.threads ?? defaultSignerThreads();
    if (!Number.isSafeInteger(threads) || threads < 1) throw sealError('SEAL_INVALID_ARGUMENT', 'a signer pool needs at least one thread');
    this.size = threads;
    this.#threads = Array.from({ length: threads }, () => undefined);
  }

  /**
   * A signer over `privateKey`, signing on the pool's threads. Throws `SEAL_KEY_INVALID` when key
   * and certificate differ (as {@link newSoftwareSigner}).
   */
  signer(certificate: Uint8Array, privateKey: SealPrivateKey): SealSigner {
    const info = parseCertificate(certificate, 'signer certificate');
    if (!keyMatchesCertificate(privateKey, info)) throw sealError('SEAL_KEY_INVALID', 'the private key does not belong to the certificate');
    if (privateKey.algorithm === 'SM2') {
      // What the threads' self-check rests on: the certificate's point is d·G.
      try {
        new Sm2SelfCheck(privateKey.privateKey, (info.publicKey as { point: Uint8Array }).point);
      } catch (error) {
        throw sealError('SEAL_KEY_INVALID', 'the private key does not belong to the certificate', error);
      }
    }
    if (this.#closed) throw sealError('SEAL_SIGNER_FAILED', 'the signer pool is closed');
    const id = this.#keys.length;
    const key: PoolKeyMessage =
      privateKey.algorithm === 'SM2'
        ? {
            type: 'key',
            id,
            algorithm: 'SM2',
            privateKey: new Uint8Array(privateKey.privateKey),
            publicKey: new Uint8Array(privateKey.publicKey),
            certificatePoint: new Uint8Array((info.publicKey as { point: Uint8Array }).point),
          }
        : {
            type: 'key',
            id,
            algorithm: 'RSA',
            pkcs8: new Uint8Array(privateKey.key.export({ format: 'der', type: 'pkcs8' })),
            spki: new Uint8Array(info.spki),
          };
    this.#keys.push(key);
    for (const thread of this.#threads) if (thread && !thread.ended) thread.worker.postMessage(key);
    return new PoolSigner(new Uint8Array(certificate), privateKey.algorithm, (tbs) => this.#sign(id, tbs));
  }

  /** Ends every thread; outstanding and later signatures reject. Idempotent. */
  async close(): Promise<void> {
    this.#closed ??= new Error('the signer pool is closed');
    for (const job of this.#queue.take()) job.reject(this.#closed);
    await Promise.all(this.#threads.map((thread) => thread?.worker.terminate()));
  }

  /**
   * Makes thread `index` crash (an uncaught error) when its next batch of signatures arrives, for
   * tests and drills: those signatures reject; the next ones go to a new thread.
   */
  crashThread(index: number): void {
    this.#thread(index).worker.postMessage({ type: 'crash' } satisfies PoolCrashMessage);
  }

  #sign(keyId: number, tbs: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#queue.push({ keyId, tbs, resolve, reject });
    });
  }

  /**
   * Sends queued signatures to the threads that hold none: each takes its share of the queue
   * (the queue over the pool's size, rounded up) in one message; what is left waits for the next
   * thread to answer. A busy pool thus sends fewer, larger messages — a message costs the event
   * loop more than the bytes in it — at no cost in latency: a thread signs in order anyway.
   */
  #flush(): void {
    if (this.#closed) {
      for (const job of this.#queue.take()) job.reject(this.#closed);
      return;
    }
    if (this.#queue.length === 0) return;
    const share = Math.ceil(this.#queue.length / this.size);
    for (let i = 0; i < this.size && this.#queue.length > 0; i++) {
      const thread = this.#thread(i);
      if (thread.inFlight.size > 0) continue;
      this.#send(thread, this.#queue.take(share));
    }
  }

  #send(thread: Thread, jobs: Job[]): void {
    const batch = this.#nextBatch++;
    const keyIds = Uint32Array.from(jobs, (job) => job.keyId);
    const packed = packBytes(jobs.map((job) => job.tbs));
    thread.inFlight.set(batch, jobs);
    if (thread.pending === 0) thread.worker.ref();
    thread.pending += jobs.length;
    const message: PoolSignMessage = { type: 'sign', batch, keyIds, ...packed };
    thread.worker.postMessage(message, [keyIds.buffer, ...transferablesOf(packed)]);
  }

  /** Thread `index`, started (again) when it is not running. */
  #thread(index: number): Thread {
    const current = this.#threads[index];
    if (current && !current.ended) return current;
    if (this.#closed) throw this.#closed;
    const worker = new Worker(THREAD_FILE);
    const thread: Thread = { worker, inFlight: new Map(), pending: 0, ended: undefined, lastError: undefined };
    this.#threads[index] = thread;
    for (const key of this.#keys) worker.postMessage(key);
    worker.on('message', (message: PoolSignedMessage) => this.#answer(thread, message));
    worker.on('error', (error) => {
      thread.lastError = error;
    });
    worker.on('exit', (code) => {
      const why = this.#closed ?? new Error(`signer thread ${index} stopped (exit code ${code})${thread.lastError ? `: ${thread.lastError.message}` : ''}`);
      thread.ended = why;
      for (const jobs of thread.inFlight.values()) for (const job of jobs) job.reject(why);
      thread.inFlight.clear();
      thread.pending = 0;
      // Signatures waiting for this thread go to its successor.
      if (this.#queue.length > 0 && !this.#closed) this.#flush();
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    return thread;
  }

  #answer(thread: Thread, message: PoolSignedMessage): void {
    const jobs = thread.inFlight.get(message.batch);
    if (!jobs) return;
    thread.inFlight.delete(message.batch);
    thread.pending -= jobs.length;
    if (this.#queue.length > 0) this.#flush();
    if (thread.pending === 0) thread.worker.unref();
    const signatures = unpackBytes(message, true);
    jobs.forEach((job, i) => {
      const error = message.errors?.[i];
      if (error) job.reject(new Error(error));
      else job.resolve(signatures[i] as Uint8Array);
    });
  }
}

class PoolSigner implements SealSigner {
  readonly certificate: Uint8Array;
  readonly algorithm: SealAlgorithm;
  readonly checksOwnSignatures = true;
  readonly #sign: (tbs: Uint8Array) => Promise<Uint8Array>;

  constructor(certificate: Uint8Array, algorithm: SealAlgorithm, sign: (tbs: Uint8Array) => Promise<Uint8Array>) {
    this.certificate = certificate;
    this.algorithm = algorithm;
    this.#sign = sign;
  }

  sign(tbs: Uint8Array): Promise<Uint8Array> {
    return this.#sign(tbs);
  }
}
