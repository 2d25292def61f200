/**
 * The whole embedded system as a child process — `bin/start.sh` (`licensechain start` with
 * jemalloc when the machine has it), exactly what an operator runs — for tests and benchmarks that
 * kill it (SIGKILL), restart it on the same data folder, or measure its memory apart from the
 * client's. And what talking to it over HTTP needs: a small `node:http` client (keep-alive, a
 * chosen loopback source address — the verifier rate-limits its public routes per client address),
 * multipart bodies, and request bodies.
 *
 *   const sys = await startChildSystem({ dataDir });
 *   const answer = await sys.call('gateway', 'POST', '/v1/licenses', { as: 'issuerA', json: body });
 *   sys.kill();                       // SIGKILL, no goodbye
 *   const again = await startChildSystem({ dataDir, gatewayPort: sys.gatewayPort, verifierPort: sys.verifierPort });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { usccCheckCharacter } from '../../domain/holder-code';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';

/** The compiled command line (this file is build/test/support/child-system.js). */
export const CLI = join(__dirname, '..', '..', 'bin', 'licensechain.js');
/** The launcher `npm start` runs: it picks the malloc, then execs `node <CLI> start`. */
export const START_SCRIPT = join(__dirname, '..', '..', '..', 'bin', 'start.sh');

export type PrincipalName = 'admin' | 'issuerA' | 'issuerB' | 'portal' | 'verifier' | 'auditor';

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON when the answer says it is JSON. */
  readonly json: any;
}

export interface HttpRequest {
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is (set content-type in `headers`). */
  readonly body?: Buffer | string;
  /** Loopback source address, e.g. `127.0.1.7`. */
  readonly localAddress?: string;
  /** Pass one: Node's global agent times idle keep-alive sockets out after 5 s, and a request that
   *  reuses one at that moment fails at once. */
  readonly agent?: Agent;
  /** Abort after this long (default 60 s). */
  readonly timeoutMs?: number;
}

/** The n-th loopback source address (127.0.1.1, 127.0.1.2, …), all local on Linux. */
export function loopbackAddress(n: number): string {
  return `127.0.${1 + Math.floor(n / 254) % 250}.${1 + (n % 254)}`;
}

/**
 * One HTTP request; resolves with the whole answer, rejects on a socket error (connection refused
 * or reset, the answer cut short) or the timeout — i.e. when the request went unanswered.
 */
export function httpCall(base: string, method: string, path: string, request: HttpRequest = {}): Promise<HttpAnswer> {
  const url = new URL(base);
  const headers: Record<string, string | number> = { ...request.headers };
  let body: Buffer | undefined;
  if (request.json !== undefined) {
    body = Buffer.from(JSON.stringify(request.json));
    headers['content-type'] = 'application/json';
  } else if (request.body !== undefined) body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
        ...(request.agent ? { agent: request.agent } : {}),
        ...(request.localAddress ? { localAddress: request.localAddress } : {}),
        timeout: request.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('answer aborted')));
        res.on('end', () => {
          if (!res.complete) return reject(new Error('answer cut short'));
          const data = Buffer.concat(chunks);
          let json: unknown;
          if (/json/.test(String(res.headers['content-type'] ?? '')) && data.length > 0) {
            try {
              json = JSON.parse(data.toString('utf8'));
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A `multipart/form-data` body: text fields in order, then one file part `file`. */
export function multipartBody(fields: Readonly<Record<string, string>>, file: { readonly data: Buffer; readonly type: string; readonly filename: string }): { body: Buffer; contentType: string } {
  const boundary = `----lc${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.filename}"\r\ncontent-type: ${file.type}\r\n\r\n`));
  parts.push(file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/** A valid USCC; `letters` (two of 0-9, A-Y without I, O, S, V, Z) keeps families apart; n < 10⁷. */
export function uscc(n: number, letters = 'MA'): string {
  const body = `91310000${letters}${String(n % 10_000_000).padStart(7, '0')}`;
  return `${body}${usccCheckCharacter(body)}`;
}

const TYPE_A = DEMO_LICENSE_TYPES[0] as (typeof DEMO_LICENSE_TYPES)[number];

/**
 * The body of `POST /v1/licenses` for issuerA's demo type, distinct per `run` and `n`: number and
 * holder (USCC family `letters`) both differ.
 */
export function licenseBody(run: string, n: number, letters = 'MA'): Record<string, unknown> {
  return {
    typeCode: TYPE_A.typeCode,
    number: `沪食经${run}${String(n).padStart(6, '0')}`,
    holder: { name: `上海某某餐饮有限公司${run}${n}`, codeType: '001', code: uscc(n, letters) },
    issuedOn: '2025-03-01',
    validFrom: '2025-03-01',
    validUntil: '2035-02-28',
    areaCode: '310101',
    fields: { 经营场所: `上海市黄浦区南京东路${n}号`, 主体业态: '餐饮服务经营者', 经营项目: ['热食类食品制售'] },
  };
}

/** A PDF-looking file of about `size` bytes, different every call. */
export function pdfFile(size: number): Buffer {
  const head = Buffer.from('%PDF-1.7\n');
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length - 6)), Buffer.from('\n%%EOF')]);
}

// ---------------------------------------------------------------------------------------------
// The child process

/** Whether `port` can be listened on at 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, below Linux's ephemeral range (32768–60999): a system restarted on
 * the same ports must find them free, and an ephemeral port may meanwhile be handed to another
 * process's outgoing connection or `listen(0)`.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

export interface ChildSystemOptions {
  readonly dataDir: string;
  /** Default: a free port. */
  readonly gatewayPort?: number;
  readonly verifierPort?: number;
  /** Default `warn`. */
  readonly logLevel?: string;
  /** Further `LC_*` variables (e.g. `LC_MALLOC`: `bin/start.sh`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Give up waiting for readiness after this long (default 60 s). */
  readonly readyTimeoutMs?: number;
}

export interface ChildSystem {
  readonly dataDir: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly gatewayPort: number;
  readonly verifierPort: number;
  readonly gatewayUrl: string;
  readonly verifierUrl: string;
  /** Bearer tokens from `<dataDir>/demo/credentials.json`. */
  readonly tokens: Readonly<Record<PrincipalName, string>>;
  /** Milliseconds from spawn to both services ready. */
  readonly startMs: number;
  auth(name: PrincipalName): Record<string, string>;
  /** A request to the gateway or the verifier, as a principal (or anonymous). */
  call(service: 'gateway' | 'verifier', method: string, path: string, request?: HttpRequest & { readonly as?: PrincipalName }): Promise<HttpAnswer>;
  /** The child's resident set (VmRSS) in KiB, or undefined once it has gone. */
  rssKb(): number | undefined;
  /** What it wrote to stdout and stderr (the last 64 KiB). */
  output(): string;
  /** Resolves with the exit code or signal once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: the process dies at once, whatever it was doing. Resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM: graceful stop. Resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns `bin/start.sh` (`licensechain start`) on `dataDir` and waits until gateway and verifier answer `/readyz`. */
export async function startChildSystem(options: ChildSystemOptions): Promise<ChildSystem> {
  const gatewayPort = options.gatewayPort ?? (await freePort());
  const verifierPort = options.verifierPort ?? (await freePort());
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LC_')));
  const started = performance.now();
  // The script execs Node, so `child.pid` is the server's own (SIGKILL reaches it, VmRSS is its).
  const child = spawn('/bin/sh', [START_SCRIPT], {
    env: {
      ...inherited,
      NODE: process.execPath,
      LC_DATA_DIR: options.dataDir,
      LC_GATEWAY_PORT: String(gatewayPort),
      LC_VERIFIER_PORT: String(verifierPort),
      LC_LOG_LEVEL: options.logLevel ?? 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const verifierUrl = `http://127.0.0.1:${verifierPort}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const probe = new Agent({ keepAlive: false });
  const ready = async (base: string): Promise<boolean> => {
    try {
      return (await httpCall(base, 'GET', '/readyz', { timeoutMs: 2000, agent: probe })).status === 200;
    } catch {
      return false;
    }
  };
  for (;;) {
    if (gone) throw new Error(`licensechain start exited before it was ready:\n${output}`);
    if ((await ready(gatewayUrl)) && (await ready(verifierUrl)) && !gone) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`licensechain start not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`);
    }
    await sleep(50);
  }
  const startMs = performance.now() - started;

  const credentials = JSON.parse(readFileSync(join(options.dataDir, 'demo', 'credentials.json'), 'utf8')) as {
    principals: Record<string, { token: string }>;
  };
  const tokens = Object.fromEntries(Object.entries(credentials.principals).map(([name, p]) => [name, p.token])) as Record<PrincipalName, string>;
  const auth = (name: PrincipalName): Record<string, string> => ({ authorization: `Bearer ${tokens[name]}` });
  // What answered is this process, not another one that happens to listen on the port: it knows
  // this data folder's tokens.
  const own = await httpCall(gatewayUrl, 'GET', '/v1/orgs', { headers: auth('admin'), timeoutMs: 10_000, agent: probe }).catch((error: Error) => error);
  if (gone || own instanceof Error || own.status !== 200) {
    child.kill('SIGKILL');
    throw new Error(`the service on port ${gatewayPort} is not this licensechain start (${own instanceof Error ? own.message : own.status}):\n${output}`);
  }
  const agents = { gateway: new Agent({ keepAlive: true, maxSockets: 64 }), verifier: new Agent({ keepAlive: true, maxSockets: 64 }) };
  void exited.then(() => {
    agents.gateway.destroy();
    agents.verifier.destroy();
  });

  return {
    dataDir: options.dataDir,
    pid: child.pid as number,
    process: child,
    gatewayPort,
    verifierPort,
    gatewayUrl,
    verifierUrl,
    tokens,
    startMs,
    auth,
    call: (service, method, path, request = {}) =>
      httpCall(service === 'gateway' ? gatewayUrl : verifierUrl, method, path, {
        // The agent pools sockets per source address too. (Not Node's global agent: its idle
        // keep-alive sockets time out after 5 s, and one reused just then fails at once.)
        agent: agents[service],
        ...request,
        headers: { ...(request.as ? auth(request.as) : {}), ...request.headers },
      }),
    rssKb: () => {
      if (gone) return undefined;
      try {
        const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return match ? Number(match[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    output: () => output,
    exited,
    kill: async () => {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface LedgerReport {
  readonly ok: boolean;
  readonly height?: number;
  readonly transactions?: number;
  readonly [more: string]: unknown;
}

/** `licensechain verify-ledger <dataDir>/ledger` in its own process (the ledger must be closed). */
export function verifyLedgerCli(dataDir: string): Promise<{ code: number | null; report: LedgerReport | undefined; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'verify-ledger', join(dataDir, 'ledger')], {
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LC_'))),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      let report: LedgerReport | undefined;
      try {
        report = JSON.parse(stdout) as LedgerReport;
      } catch {
        report = undefined;
      }
      resolve({ code, report, output: stdout + stderr });
    });
  });
}
