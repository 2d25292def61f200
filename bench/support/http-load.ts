/**
 * An HTTP load generator on its own worker thread, so that the clients never share the server's
 * event loop (the embedded system runs on the main thread) and the server's event-loop
 * utilisation measures the server alone.
 *
 * Each of `concurrency` clients sends one request at a time over keep-alive connections
 * (`node:http` Agent, one socket per client and source address — the same connection reuse as
 * undici/fetch with keep-alive, without depending on a transitive copy of undici). Requests are
 * taken in order from the job's list until it is exhausted or the duration is up.
 *
 * Source addresses: the verifier rate-limits its public routes per client address (600/min by
 * default, `VerifierOptions.publicRateLimit`), which one benchmark client address would hit at
 * once. With `addresses` > 1 the clients spread their connections over that many loopback
 * addresses (127.0.1.1, 127.0.1.2, …, all local on Linux), as many clients at many service
 * windows would; the limiter still runs on every request.
 */
import { Agent, request as httpRequest } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ownThreadId } from './measure';

export interface LoadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string, bytes, or parts sent one after the other (e.g. a multipart envelope around a file). */
  readonly body?: string | Uint8Array | readonly Uint8Array[];
}

export interface LoadJob {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly requests: readonly LoadRequest[];
  readonly concurrency: number;
  /** Stop starting requests after this long (default: no limit). */
  readonly durationMs?: number;
  /** Loopback source addresses to spread connections over (default 1: 127.0.0.1). */
  readonly addresses?: number;
  /** Keep every response body (e.g. issued documents), in request order. */
  readonly collect?: boolean;
  /** A 2xx response counts as failed unless its body contains this (e.g. `"verified":true`). */
  readonly mustInclude?: string;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** A few failures: status and the start of the body, or the socket error. */
  readonly failures: readonly string[];
  readonly elapsedMs: number;
  /** Milliseconds, one per finished request (failed ones included). */
  readonly latencies: Float64Array;
  /** Response bodies by request index when `collect` (undefined where not sent). */
  readonly bodies?: ReadonlyArray<string | undefined>;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function addressOf(index: number): string {
  return `127.0.${1 + Math.floor(index / 254)}.${1 + (index % 254)}`;
}

function send(agent: Agent, base: URL, req: LoadRequest, localAddress: string | undefined, keepBody: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    const parts = req.body === undefined ? [] : typeof req.body === 'string' || req.body instanceof Uint8Array ? [req.body] : req.body;
    if (req.body !== undefined && headers['content-length'] === undefined) {
      headers['content-length'] = parts.reduce((n, p) => n + (typeof p === 'string' ? Buffer.byteLength(p) : p.byteLength), 0);
    }
    const r = httpRequest(
      { host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent, ...(localAddress ? { localAddress } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        const status = res.statusCode ?? 0;
        const keep = keepBody || status < 200 || status >= 300;
        res.on('data', (chunk: Buffer) => {
          if (keep) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, body: keep ? Buffer.concat(chunks).toString('utf8') : '' }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    for (const part of parts) r.write(part);
    r.end();
  });
}

async function run(job: LoadJob): Promise<LoadResult> {
  const base = new URL(job.base);
  const total = job.requests.length;
  const latencies = new Float64Array(total);
  const bodies: Array<string | undefined> | undefined = job.collect ? new Array<string | undefined>(total) : undefined;
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const addresses = Math.max(1, job.addresses ?? 1);
  const keepBody = job.collect === true || job.mustInclude !== undefined;
  let next = 0;
  let done = 0;
  let ok = 0;
  const started = performance.now();
  const deadline = job.durationMs === undefined ? Infinity : started + job.durationMs;
  const fail = (what: string): void => {
    if (failures.length < 5) failures.push(what);
  };

  const client = async (c: number): Promise<void> => {
    // This client's source addresses: c, c + concurrency, c + 2·concurrency, … (< addresses).
    const mine: Array<string | undefined> = [];
    for (let a = c; a < addresses; a += job.concurrency) mine.push(addressOf(a));
    if (mine.length === 0) mine.push(addresses > 1 ? addressOf(c % addresses) : undefined);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let turn = 0; ; turn++) {
        if (next >= total || performance.now() >= deadline) return;
        const i = next++;
        const t0 = performance.now();
        try {
          const answer = await send(agent, base, job.requests[i] as LoadRequest, mine[turn % mine.length], keepBody);
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          const good = answer.status >= 200 && answer.status < 300 && (job.mustInclude === undefined || answer.body.includes(job.mustInclude));
          if (good) ok++;
          else fail(`${answer.status} ${answer.body.slice(0, 300)}`);
          if (bodies) bodies[i] = answer.body;
        } catch (error) {
          statuses.error = (statuses.error ?? 0) + 1;
          fail(`socket: ${(error as Error).message}`);
        }
        latencies[done++] = performance.now() - t0;
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, (_, c) => client(c)));
  const elapsedMs = performance.now() - started;
  return { sent: done, ok, failed: done - ok, statuses, failures, elapsedMs, latencies: latencies.slice(0, done), ...(bodies ? { bodies } : {}) };
}

/**
 * The main thread's handle on the load worker.
 * @example
 * const load = await LoadGenerator.start();
 * const result = await load.run({ base: gatewayUrl, requests, concurrency: 64 });
 * await load.close();
 */
export class LoadGenerator {
  readonly #worker: Worker;
  /** The worker's Linux thread id, to tell its CPU time from the server's. */
  readonly threadId: number | undefined;
  #jobs = 0;

  private constructor(worker: Worker, threadId: number | undefined) {
    this.#worker = worker;
    this.threadId = threadId;
  }

  static async start(): Promise<LoadGenerator> {
    const worker = new Worker(__filename, { workerData: { loadWorker: true } });
    const threadId = await new Promise<number | undefined>((resolve, reject) => {
      worker.once('message', (m: { threadId?: number }) => resolve(m.threadId));
      worker.once('error', reject);
    });
    return new LoadGenerator(worker, threadId);
  }

  /** The worker thread's id as a set (for {@link cpuSplit}). */
  get threads(): Set<number> {
    return new Set(this.threadId === undefined ? [] : [this.threadId]);
  }

  run(job: LoadJob): Promise<LoadResult> {
    const id = ++this.#jobs;
    return new Promise((resolve, reject) => {
      const onMessage = (m: { id: number; result?: LoadResult; error?: string }): void => {
        if (m.id !== id) return;
        this.#worker.off('message', onMessage);
        this.#worker.off('error', reject);
        if (m.result) resolve(m.result);
        else reject(new Error(m.error));
      };
      this.#worker.on('message', onMessage);
      this.#worker.once('error', reject);
      this.#worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

if (!isMainThread && (workerData as { loadWorker?: boolean } | undefined)?.loadWorker) {
  parentPort?.postMessage({ threadId: ownThreadId() });
  parentPort?.on('message', (m: { id: number; job: LoadJob }) => {
    run(m.job).then(
      (result) => parentPort?.postMessage({ id: m.id, result }),
      (error: unknown) => parentPort?.postMessage({ id: m.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
}
