/**
 * Probes of a running node: whether a port accepts connections, a node's operations endpoint
 * (`/healthz`, `/metrics`, over TLS with the node's TLS CA), and a wait loop around them.
 */
import { request } from 'node:https';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether 127.0.0.1:`port` can be listened on now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TLS client certificate and key, PEM. */
export interface ClientPair {
  readonly cert: string;
  readonly key: string;
}

/** GET https://127.0.0.1:`port``path`, trusting `ca`; status and body, or undefined if unreachable. */
export function httpsGet(port: number, urlPath: string, ca: string, client?: ClientPair, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, method: 'GET', ca, ...client, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** A node's `/healthz` says OK. */
export async function healthy(operationsPort: number, ca: string): Promise<boolean> {
  const answer = await httpsGet(operationsPort, '/healthz', ca);
  return answer?.status === 200;
}

/**
 * A Prometheus gauge's value from a node's `/metrics` (which wants a TLS client certificate of
 * the node's organisation), for the series whose labels include `labels`.
 */
export async function metric(operationsPort: number, ca: string, client: ClientPair, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
  const answer = await httpsGet(operationsPort, '/metrics', ca, client);
  if (answer?.status !== 200) return undefined;
  for (const line of answer.body.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const seriesLabels = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => seriesLabels[k] === v)) return Number(match[4]);
  }
  return undefined;
}

/**
 * Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`
 * with `describe()` (e.g. a log tail) in the message. `check` may also throw to give up at once.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, options: { timeoutMs: number; intervalMs?: number; describe?: () => string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${cause}${options.describe ? `\n${options.describe()}` : ''}`);
    }
    await sleep(options.intervalMs ?? 200);
  }
}
