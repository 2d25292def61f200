/**
 * Material bytes from the custodian organisation's gateway over HTTP(S):
 * `GET <custodian>/v1/materials/:materialId/content?receipt=` (api.md), signed with the grantee
 * principal's X.509 identity (service/request-signature.ts), since the custodian holds no token of
 * ours. The body is streamed on, never held whole; `verified-download.ts` still checks every byte
 * against the ledger digest, so neither the custodian nor anything in between is trusted.
 *
 * Answers become the usual problems: a network failure, a timeout, a 5xx or a body that breaks
 * off is `UPSTREAM_UNAVAILABLE`; a 4xx keeps the custodian's code when it is one of ours (the
 * receipt's refusal: `GRANT_INVALID`, `CONFLICT`, `NOT_FOUND`, …) — except a refused signature
 * (401): that is this verifier's identity or clock failing between organisations, not the
 * caller's doing, so it is `UPSTREAM_UNAVAILABLE` (502) with the custodian's code in the detail;
 * the custodian's own `INTEGRITY_FAILED` (its stored bytes no longer match) stays
 * `INTEGRITY_FAILED`, as in-process.
 *
 * Custodians without a configured URL go to `fallback` (embedded mode: in-process).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import { signRequest } from '../service/request-signature';
import { PROBLEMS, ProblemError } from '../service/problem';
import type { MaterialDelivery, MaterialRequest, MaterialSource } from './material-source';

export interface HttpMaterialSourceOptions {
  /** Custodian organisation (MSP id) → base URL of its gateway (`https://gw.portal.example:7001`). */
  readonly custodians: Readonly<Record<string, string>>;
  /** CA certificates (PEM) trusted for https custodians, instead of Node's default list. */
  readonly ca?: string | readonly string[];
  /** Deliveries of custodians not listed in `custodians`; without it they are refused. */
  readonly fallback?: MaterialSource;
  /** Until the custodian's answer starts (default 30 s); `openDelivery` bounds the body's pauses. */
  readonly timeoutMs?: number;
}

/** Largest error body read from a custodian. */
const MAX_PROBLEM_BYTES = 64 * 1024;

function upstream(detail: string, cause?: unknown): ProblemError {
  return new ProblemError('UPSTREAM_UNAVAILABLE', detail, { cause });
}

/** `sm3=:<base64>:` (RFC 9530) → `sm3:<hex>`; '' when absent or another form (the bytes are hashed anyway). */
function digestFromHeader(reprDigest: string | undefined): string {
  const match = /^(sm3|sha-256)=:([A-Za-z0-9+/]+=*):$/.exec(reprDigest ?? '');
  if (!match) return '';
  return `${match[1] === 'sha-256' ? 'sha256' : 'sm3'}:${Buffer.from(match[2] as string, 'base64').toString('hex')}`;
}

export class HttpMaterialSource implements MaterialSource {
  readonly #custodians: ReadonlyMap<string, URL>;
  readonly #fallback: MaterialSource | undefined;
  readonly #timeoutMs: number;
  readonly #http = new http.Agent({ keepAlive: true });
  readonly #https: https.Agent;

  constructor(options: HttpMaterialSourceOptions) {
    // A trailing slash, so that relative paths land under the base URL's own path.
    this.#custodians = new Map(Object.entries(options.custodians).map(([msp, base]) => [msp, new URL(base.endsWith('/') ? base : `${base}/`)]));
    this.#fallback = options.fallback;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#https = new https.Agent({ keepAlive: true, ...(options.ca !== undefined ? { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] } : {}) });
  }

  /** True when `mspId`'s deliveries go over HTTP. */
  serves(mspId: string): boolean {
    return this.#custodians.has(mspId);
  }

  async open(request: MaterialRequest): Promise<MaterialDelivery> {
    const base = this.#custodians.get(request.custodianMsp);
    if (!base) {
      if (this.#fallback) return this.#fallback.open(request);
      throw upstream(`no gateway URL is configured for the custodian ${request.custodianMsp}`);
    }
    const identity = request.grantee.identity;
    if (!identity) throw new ProblemError('INTERNAL_ERROR', `the principal ${request.grantee.name} has no signing identity for custodian deliveries`);
    const url = new URL(`v1/materials/${encodeURIComponent(request.materialId)}/content?receipt=${encodeURIComponent(request.receiptId)}`, base);
    const headers = await signRequest(identity, 'GET', url);
    const response = await this.#get(url, headers, request.custodianMsp);
    if (response.statusCode !== 200) throw await refusal(response, request.custodianMsp);
    const size = Number(response.headers['content-length']);
    if (!Number.isSafeInteger(size) || size < 0) {
      response.destroy();
      throw upstream(`the custodian ${request.custodianMsp} did not announce the size of the bytes`);
    }
    return {
      stream: relay(response, request.custodianMsp),
      size,
      digest: digestFromHeader(response.headers['repr-digest'] as string | undefined),
      mediaType: response.headers['content-type'] ?? 'application/octet-stream',
    };
  }

  /** Closes idle connections to custodians. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  #get(url: URL, headers: Record<string, string>, custodian: string): Promise<IncomingMessage> {
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, { method: 'GET', headers: { ...headers, accept: '*/*' }, agent: secure ? this.#https : this.#http }, (response) => {
        req.setTimeout(0);
        resolve(response);
      });
      req.setTimeout(this.#timeoutMs, () => req.destroy(upstream(`the custodian ${custodian} did not answer within ${this.#timeoutMs} ms`)));
      req.on('error', (error) => reject(error instanceof ProblemError ? error : upstream(`the custodian ${custodian} cannot be reached: ${error.message}`, error)));
      req.end();
    });
  }
}

/** The body, with a break-off reported as `UPSTREAM_UNAVAILABLE`; a reader that stops frees the connection. */
function relay(response: IncomingMessage, custodian: string): Readable {
  const out = new PassThrough();
  response.on('error', (error) => out.destroy(upstream(`the custodian ${custodian} broke off the bytes: ${error.message}`, error)));
  out.on('close', () => {
    if (!response.complete) response.destroy();
  });
  response.pipe(out);
  return out;
}

/** A custodian's non-200 answer as the problem the verifier raises. */
async function refusal(response: IncomingMessage, custodian: string): Promise<ProblemError> {
  const status = response.statusCode ?? 0;
  let body = '';
  try {
    for await (const chunk of response) {
      body += (chunk as Buffer).toString('utf8');
      if (body.length > MAX_PROBLEM_BYTES) break;
    }
  } catch {
    // The status alone decides below.
  } finally {
    response.destroy();
  }
  let problem: { code?: unknown; detail?: unknown } = {};
  try {
    problem = JSON.parse(body) as typeof problem;
  } catch {
    // Not problem+json (e.g. a proxy's page).
  }
  const code = typeof problem.code === 'string' && problem.code in PROBLEMS ? problem.code : undefined;
  const detail = `the custodian ${custodian} answered ${status}${code ? ` ${code}` : ''}: ${typeof problem.detail === 'string' ? problem.detail : 'no detail'}`;
  if (code === 'INTEGRITY_FAILED') return new ProblemError(code, detail);
  if (status === 401) return upstream(detail);
  if (status >= 400 && status < 500) return new ProblemError(code ?? 'UPSTREAM_UNAVAILABLE', detail);
  return upstream(detail);
}
