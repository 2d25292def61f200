/**
 * Configuration of a LicenseChain process, from the environment, validated at start-up so that a
 * typo fails fast with a clear message instead of a half-working service.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `LC_DATA_DIR` | `./data` | ledger, stores, demo consortium, secrets |
 * | `LC_LEDGER` | `embedded` | `embedded`, or `fabric` (README "Fabric mode") |
 * | `LC_FACTS_CACHE` | `events` (embedded), `off` (fabric) | verifier: keep verification facts until a chaincode event changes them (`events`), or read the ledger every time (`off`). Embedded events arrive before the next request is served; Fabric's arrive a moment after the commit, so there a cached answer may lag (it says `cached` and its height) |
 * | `LC_FABRIC_DIR` | `./data/fabric` | Fabric mode: the folder of the network `licensechain network up` made; its `network.json` names peers, TLS CAs, channel, chaincode and the consortium (the other `LC_FABRIC_*` variables are the network commands', accepted here) |
 * | `LC_GATEWAY_HOST` / `LC_GATEWAY_PORT` | `127.0.0.1` / `7001` | gateway listen address |
 * | `LC_VERIFIER_HOST` / `LC_VERIFIER_PORT` | `127.0.0.1` / `7002` | verifier listen address |
 * | `LC_PUBLIC_VERIFIER_URL` | `http://<verifier host:port>` | base URL printed in QR payloads |
 * | `LC_LOG_LEVEL` | `info` | pino level, or `silent` |
 * | `LC_MAX_UPLOAD_BYTES` | 1 GiB | largest material upload |
 * | `LC_BLOCK_MAX_TX` / `LC_BLOCK_TIMEOUT_MS` | 500 / 20 | block cutting (embedded ledger) |
 * | `LC_RATE_LIMIT_PER_MINUTE` | 1 000 000 | requests a minute per principal (per address when anonymous), each service |
 * | `LC_IDEMPOTENCY_RETENTION_HOURS` | 24 | how long the gateway replays the first answer to an `Idempotency-Key`; older answers are deleted |
 * | `LC_MAX_INFLIGHT_SUBMITS` | 256 | state-changing requests in flight per service before `503 OVERLOADED` |
 * | `LC_CUSTODIAN_URLS` | `{}` | JSON `{ "<custodian MSP id>": "<its gateway's base URL>" }`: the verifier fetches those custodians' materials over HTTP(S), signing with its identity; others in-process |
 * | `LC_CUSTODIAN_CA` | Node's CAs | PEM file of the CA certificates trusted for `https` custodian URLs |
 * | `LC_MALLOC` | `auto` | read by `bin/start.sh` before Node starts: `auto` (jemalloc when installed), `jemalloc`, `glibc` (README "Memory") |
 */
import Ajv from 'ajv';
import { join, resolve } from 'node:path';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../service/rate-limits';
import { DEFAULT_MAX_INFLIGHT_SUBMITS } from '../service/submit-gate';
import { DEFAULT_IDEMPOTENCY_RETENTION_MS } from '../service/idempotency';

export interface SystemConfig {
  readonly dataDir: string;
  readonly ledger: 'embedded' | 'fabric';
  readonly gateway: { readonly host: string; readonly port: number };
  readonly verifier: { readonly host: string; readonly port: number };
  readonly publicVerifierUrl: string;
  readonly logLevel: string;
  readonly maxUploadBytes: number;
  readonly blockCutter: { readonly maxTransactions: number; readonly timeoutMs: number };
  readonly rateLimitPerMinute: number;
  readonly maxInflightSubmits: number;
  /** How long the gateway replays an idempotent answer (ms). */
  readonly idempotencyRetentionMs: number;
  /** Custodian organisation (MSP id) → base URL of its gateway, for material deliveries over HTTP(S). */
  readonly custodianUrls: Readonly<Record<string, string>>;
  /** PEM file of CA certificates for https custodians (default: Node's). */
  readonly custodianCaFile: string | undefined;
  /** Fabric mode: the network description (peers, TLS CAs, channel, chaincode, consortium). */
  readonly fabricNetworkFile: string;
  /** Verifier facts cache: invalidated by chaincode events, or off. */
  readonly factsCache: 'events' | 'off';
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    LC_DATA_DIR: { type: 'string', minLength: 1 },
    LC_LEDGER: { enum: ['embedded', 'fabric'] },
    LC_GATEWAY_HOST: { type: 'string', minLength: 1 },
    LC_GATEWAY_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    LC_VERIFIER_HOST: { type: 'string', minLength: 1 },
    LC_VERIFIER_PORT: { type: 'string', pattern: '^[0-9]{1,5}$' },
    LC_PUBLIC_VERIFIER_URL: { type: 'string', pattern: '^https?://' },
    LC_LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    LC_MAX_UPLOAD_BYTES: { type: 'string', pattern: '^[1-9][0-9]{0,12}$' },
    LC_BLOCK_MAX_TX: { type: 'string', pattern: '^[1-9][0-9]{0,4}$' },
    LC_BLOCK_TIMEOUT_MS: { type: 'string', pattern: '^[0-9]{1,5}$' },
    LC_RATE_LIMIT_PER_MINUTE: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' },
    LC_MAX_INFLIGHT_SUBMITS: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' },
    LC_IDEMPOTENCY_RETENTION_HOURS: { type: 'string', pattern: '^[1-9][0-9]{0,4}$' },
    LC_CUSTODIAN_URLS: { type: 'string', minLength: 2 },
    LC_CUSTODIAN_CA: { type: 'string', minLength: 1 },
    LC_FABRIC_DIR: { type: 'string', minLength: 1 },
    // Read by `licensechain network …` (network/layout.ts); accepted so one shell can run both.
    LC_FABRIC_BASE_PORT: { type: 'string' },
    LC_FABRIC_BATCH_TIMEOUT: { type: 'string' },
    LC_FABRIC_BATCH_MAX_MESSAGES: { type: 'string' },
    LC_FABRIC_BATCH_PREFERRED_BYTES: { type: 'string' },
    LC_FABRIC_LOGGING_SPEC: { type: 'string' },
    LC_FACTS_CACHE: { enum: ['events', 'off'] },
    // Read by bin/start.sh, which chose the malloc before Node started; accepted here.
    LC_MALLOC: { enum: ['auto', 'jemalloc', 'glibc'] },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(schema);

const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `LC_CUSTODIAN_URLS`: a JSON object of MSP id → http(s) base URL without query or fragment. */
function custodianUrls(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('invalid configuration: LC_CUSTODIAN_URLS is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('invalid configuration: LC_CUSTODIAN_URLS must be a JSON object of MSP id → URL');
  }
  const urls: Record<string, string> = {};
  for (const [mspId, url] of Object.entries(parsed)) {
    if (!MSP_ID.test(mspId)) throw new ConfigError(`invalid configuration: LC_CUSTODIAN_URLS key ${JSON.stringify(mspId)} is not an MSP id`);
    let parsedUrl: URL | undefined;
    try {
      parsedUrl = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsedUrl = undefined;
    }
    if (!parsedUrl || !/^https?:$/.test(parsedUrl.protocol) || parsedUrl.search !== '' || parsedUrl.hash !== '' || parsedUrl.username !== '') {
      throw new ConfigError(`invalid configuration: LC_CUSTODIAN_URLS.${mspId} must be an http(s) base URL without query, fragment or credentials`);
    }
    urls[mspId] = url as string;
  }
  return urls;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads `LC_*` variables (others are ignored); throws ConfigError listing every bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<SystemConfig> = {}): SystemConfig {
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('LC_')));
  if (!validate(own)) {
    const problems = (validate.errors ?? []).map((e) =>
      e.keyword === 'additionalProperties'
        ? `unknown variable ${(e.params as { additionalProperty: string }).additionalProperty}`
        : `${e.instancePath.slice(1)} ${e.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const port = (value: string | undefined, fallback: number): number => {
    const n = value === undefined ? fallback : Number(value);
    if (n > 65_535) throw new ConfigError(`port ${n} is out of range`);
    return n;
  };
  const gateway = { host: own.LC_GATEWAY_HOST ?? '127.0.0.1', port: port(own.LC_GATEWAY_PORT, 7001) };
  const verifier = { host: own.LC_VERIFIER_HOST ?? '127.0.0.1', port: port(own.LC_VERIFIER_PORT, 7002) };
  const dataDir = resolve(own.LC_DATA_DIR ?? 'data');
  const ledger = (own.LC_LEDGER as 'embedded' | 'fabric' | undefined) ?? 'embedded';
  return {
    dataDir,
    ledger,
    gateway,
    verifier,
    publicVerifierUrl: own.LC_PUBLIC_VERIFIER_URL ?? `http://${verifier.host}:${verifier.port}`,
    logLevel: own.LC_LOG_LEVEL ?? 'info',
    maxUploadBytes: Number(own.LC_MAX_UPLOAD_BYTES ?? 1024 ** 3),
    blockCutter: { maxTransactions: Number(own.LC_BLOCK_MAX_TX ?? 500), timeoutMs: Number(own.LC_BLOCK_TIMEOUT_MS ?? 20) },
    rateLimitPerMinute: Number(own.LC_RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE),
    maxInflightSubmits: Number(own.LC_MAX_INFLIGHT_SUBMITS ?? DEFAULT_MAX_INFLIGHT_SUBMITS),
    idempotencyRetentionMs: own.LC_IDEMPOTENCY_RETENTION_HOURS === undefined ? DEFAULT_IDEMPOTENCY_RETENTION_MS : Number(own.LC_IDEMPOTENCY_RETENTION_HOURS) * 3_600_000,
    custodianUrls: custodianUrls(own.LC_CUSTODIAN_URLS),
    custodianCaFile: own.LC_CUSTODIAN_CA === undefined ? undefined : resolve(own.LC_CUSTODIAN_CA),
    fabricNetworkFile: join(resolve(own.LC_FABRIC_DIR ?? join('data', 'fabric')), 'network.json'),
    factsCache: (own.LC_FACTS_CACHE as 'events' | 'off' | undefined) ?? (ledger === 'embedded' ? 'events' : 'off'),
    ...overrides,
  };
}
