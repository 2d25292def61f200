/**
 * Seal signature verification on worker threads (one per core by default), off the event loop
 * that serves HTTP and reads the ledger.
 *
 * Why: an SM2 verification costs ~1–2 ms of pure-JS curve arithmetic; on the event loop it stalls
 * every other request. Requests made in the same turn of the event loop travel together, packed
 * in one transferred buffer (posting many small Buffers would clone the 8 KiB pool slab behind
 * each), spread over the threads by how many tasks each has outstanding; each result comes back
 * as soon as it is ready. Each thread keeps its own {@link SealVerifyCache}. A thread that dies
 * fails only the tasks it held and is replaced on the next request. Idle threads do not keep the
 * process alive.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CodedError } from '../domain/coded-error';
import { packBytes, transferablesOf, type PackedBytes } from '../threads/packed-bytes';
import { SameTurnQueue } from '../threads/same-turn-queue';
import type { TrustOptions } from '../seal/verify';
import type { ProtectedInput, SignatureOutcome } from './seal-signatures';

/** Threads and per-thread cache size of a {@link SealWorkerPool}. */
export interface SealWorkerPoolOptions {
  /** Worker threads (at least 1). */
  readonly size: number;
  /** Seal-level cache entries per thread (default 4096). */
  readonly cacheSize?: number;
}

/** What the main thread posts: one batch of tasks for one thread; per task its signature and its input, packed (parts `2i` and `2i + 1`). */
export interface SealTaskBatch extends PackedBytes {
  readonly batch: number;
  /** The distinct trust sets of the batch. */
  readonly trusts: readonly TrustOptions[];
  /** Two per task: the index of its trust set, and 1 when the input is content (0: a digest). */
  readonly meta: Uint32Array;
}

/** A thread's answer to one task of a batch. */
export interface SealTaskResult {
  readonly batch: number;
  readonly index: number;
  readonly outcome?: SignatureOutcome;
  readonly error?: { readonly code?: string; readonly message: string };
}

/** What a worker thread is started with. */
export interface SealWorkerData {
  readonly sealWorker: true;
  readonly cacheSize: number;
}

interface Task {
  readonly trust: TrustOptions;
  readonly signature: Uint8Array;
  readonly input: ProtectedInput;
  readonly resolve: (outcome: SignatureOutcome) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  /** Tasks posted and not answered, by batch. */
  readonly inFlight: Map<number, { tasks: Task[]; left: number }>;
  outstanding: number;
}

/**
 * Verifies seal signatures on worker threads.
 * @example
 * const pool = new SealWorkerPool({ size: availableParallelism() });
 * const outcome = await pool.verify({ trustedRoots }, signatureDer, { digest });
 * await pool.close();
 */
export class SealWorkerPool {
  readonly #size: number;
  readonly #cacheSize: number;
  readonly #slots: Array<Slot | undefined>;
  /** Trust sets copied into exactly-sized buffers, once per trust object. */
  readonly #compact = new WeakMap<TrustOptions, TrustOptions>();
  readonly #queue = new SameTurnQueue<Task>(() => this.#flush());
  #nextBatch = 0;
  #closed: Error | undefined;

  constructor(options: Readonly<SealWorkerPoolOptions>) {
    this.#size = Math.max(1, Math.floor(options.size));
    this.#cacheSize = options.cacheSize ?? 4096;
    this.#slots = Array.from({ length: this.#size }, () => undefined);
  }

  /** Number of threads. */
  get size(): number {
    return this.#size;
  }

  /** Threads running now (they start on first use). */
  get running(): number {
    return this.#slots.filter((s) => s !== undefined).length;
  }

  /** @internal The running threads (tests end one to see the pool recover). */
  get threads(): Worker[] {
    return this.#slots.flatMap((s) => (s ? [s.worker] : []));
  }

  /** Verifies `signature` over `input` against `trust` on a worker thread (see `verifyOutcome`). */
  verify(trust: TrustOptions, signature: Uint8Array, input: ProtectedInput): Promise<SignatureOutcome> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#queue.push({ trust: this.#compacted(trust), signature, input, resolve, reject });
    });
  }

  /** Ends the threads; queued and running tasks are refused. */
  async close(): Promise<void> {
    this.#closed ??= new Error('the seal worker pool is closed');
    for (const task of this.#queue.take()) task.reject(this.#closed);
    await Promise.all(this.#slots.map((slot) => slot?.worker.terminate()));
  }

  #compacted(trust: TrustOptions): TrustOptions {
    let compact = this.#compact.get(trust);
    if (!compact) {
      const copy = (list: readonly Uint8Array[]): Uint8Array[] => list.map((der) => new Uint8Array(der));
      compact = { trustedRoots: copy(trust.trustedRoots), ...(trust.intermediates ? { intermediates: copy(trust.intermediates) } : {}) };
      this.#compact.set(trust, compact);
    }
    return compact;
  }

  #flush(): void {
    if (this.#closed) return;
    const tasks = this.#queue.take();
    const groups = new Map<Slot, Task[]>();
    const slots = this.#slots.map((_, i) => this.#slot(i));
    for (const task of tasks) {
      let slot = slots[0] as Slot;
      for (const s of slots) if (s.outstanding < slot.outstanding) slot = s;
      slot.outstanding += 1;
      let group = groups.get(slot);
      if (!group) groups.set(slot, (group = []));
      group.push(task);
    }
    for (const [slot, group] of groups) this.#send(slot, group);
  }

  #slot(i: number): Slot {
    const existing = this.#slots[i];
    if (existing) return existing;
    const worker = new Worker(join(__dirname, 'seal-worker-thread.js'), {
      workerData: { sealWorker: true, cacheSize: this.#cacheSize } satisfies SealWorkerData,
    });
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map(), outstanding: 0 };
    this.#slots[i] = slot;
    worker.on('message', (result: SealTaskResult) => this.#settle(slot, result));
    worker.on('error', (error) => this.#fail(i, slot, error));
    worker.on('exit', (code) => this.#fail(i, slot, new Error(`a seal verification thread exited (code ${code})`)));
    return slot;
  }

  #send(slot: Slot, tasks: Task[]): void {
    const trusts: TrustOptions[] = [];
    const meta = new Uint32Array(tasks.length * 2);
    tasks.forEach((task, i) => {
      let trustIndex = trusts.indexOf(task.trust);
      if (trustIndex === -1) trustIndex = trusts.push(task.trust) - 1;
      meta[2 * i] = trustIndex;
      meta[2 * i + 1] = 'content' in task.input ? 1 : 0;
    });
    const packed = packBytes(tasks.flatMap((task) => [task.signature, 'content' in task.input ? task.input.content : task.input.digest]));
    const batch = this.#nextBatch++;
    slot.inFlight.set(batch, { tasks, left: tasks.length });
    if (slot.outstanding === tasks.length) slot.worker.ref();
    const message: SealTaskBatch = { batch, trusts, meta, ...packed };
    slot.worker.postMessage(message, [meta.buffer, ...transferablesOf(packed)]);
  }

  #settle(slot: Slot, result: SealTaskResult): void {
    const entry = slot.inFlight.get(result.batch);
    const task = entry?.tasks[result.index];
    if (!entry || !task) return;
    entry.left -= 1;
    if (entry.left === 0) slot.inFlight.delete(result.batch);
    slot.outstanding -= 1;
    if (slot.outstanding === 0) slot.worker.unref();
    if (result.outcome) task.resolve(result.outcome);
    else {
      const error = result.error ?? { message: 'no answer' };
      task.reject(error.code ? new CodedError(error.code, error.message) : new Error(error.message));
    }
  }

  #fail(i: number, slot: Slot, error: Error): void {
    if (this.#slots[i] === slot) this.#slots[i] = undefined;
    const reason = this.#closed ?? error;
    for (const entry of slot.inFlight.values()) for (const task of entry.tasks) task.reject(reason);
    slot.inFlight.clear();
    slot.outstanding = 0;
  }
}
