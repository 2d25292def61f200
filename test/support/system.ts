/**
 * The real embedded system for gateway and verifier tests: a temporary data folder, the demo
 * consortium, the embedded ledger and the gateway listening on an ephemeral port — real HTTP.
 *
 *   const t = await startTestSystem();
 *   const res = await fetch(`${t.gatewayUrl}/v1/orgs`, { headers: t.auth('admin') });
 *   const { status, body } = await t.request('POST', '/v1/licenses', { as: 'issuerA', body: { … } });
 *   await t.close();
 */
import './quiet';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type SystemConfig } from '../../system/config';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../system/embedded-system';
import type * as FabricSystemModule from '../../system/fabric-system';

/**
 * `LC_TEST_LEDGER=fabric` (set by test/conformance/fabric.test.ts): the same tests on a Fabric
 * network (`LC_FABRIC_DIR`). The demo seals are already on that ledger, so each test system starts
 * from a copy of the folder that put them there (`LC_TEST_FABRIC_SHARED`: keyring, secrets,
 * principals), with stores of its own.
 */
export const TEST_LEDGER: 'embedded' | 'fabric' = process.env.LC_TEST_LEDGER === 'fabric' ? 'fabric' : 'embedded';

/** Demo principals' names (system/demo-consortium.ts). */
export type DemoPrincipalName = 'admin' | 'issuerA' | 'issuerB' | 'portal' | 'verifier' | 'auditor';

export interface TestSystem {
  readonly system: EmbeddedSystem;
  /** e.g. `http://127.0.0.1:43121` (no trailing slash). */
  readonly gatewayUrl: string;
  /** The verifier's URL, when the system runs one. */
  readonly verifierUrl: string | undefined;
  /** The data folder (temporary unless `dataDir` was given). */
  readonly dataDir: string;
  /** Bearer tokens from `demo/credentials.json`, by principal name. */
  readonly tokens: Readonly<Record<DemoPrincipalName, string>>;
  /** `{ authorization: 'Bearer …' }` for a principal (merge into fetch headers). */
  auth(name: DemoPrincipalName): Record<string, string>;
  /**
   * One HTTP request to the gateway (or `base`), as a principal; a `body` other than a string or
   * Buffer is sent as JSON. The answer's body is parsed as JSON when it is JSON.
   */
  request(method: string, path: string, options?: TestRequestOptions): Promise<TestResponse>;
  /** Closes the system and removes a temporary data folder. Idempotent. */
  close(): Promise<void>;
}

export interface TestRequestOptions {
  readonly as?: DemoPrincipalName;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Default: the gateway. */
  readonly base?: string;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON (problem+json included), or the text. */
  readonly body: any;
}

export interface StartTestSystemOptions {
  /** Reuse a folder (e.g. to test a restart); default: a new temporary folder, removed on close. */
  readonly dataDir?: string;
  /** Further configuration overrides (data folder and gateway address are set here). */
  readonly config?: Partial<SystemConfig>;
  /** Fastify logger; default off. */
  readonly logger?: boolean | Record<string, unknown>;
}

/** Starts the embedded system listening on 127.0.0.1 with an ephemeral port. */
export async function startTestSystem(options: StartTestSystemOptions = {}): Promise<TestSystem> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lc-system-'));
  const config = loadConfig({}, {
    dataDir,
    logLevel: 'silent',
    gateway: { host: '127.0.0.1', port: 0 },
    verifier: { host: '127.0.0.1', port: 0 },
    blockCutter: { maxTransactions: 500, timeoutMs: 5 },
    ...options.config,
  });
  let system: EmbeddedSystem;
  try {
    if (TEST_LEDGER === 'fabric') {
      const shared = process.env.LC_TEST_FABRIC_SHARED;
      if (!shared) throw new Error('LC_TEST_LEDGER=fabric needs LC_TEST_FABRIC_SHARED (see test/conformance/fabric.test.ts)');
      if (temporary) cpSync(shared, dataDir, { recursive: true, filter: (source) => !/[/\\](gateway|verifier)$/.test(source) });
      const { startFabricSystem } = require('../../system/fabric-system') as typeof FabricSystemModule;
      const fabricDir = process.env.LC_FABRIC_DIR ?? join('data', 'fabric');
      // Embedded-only members (the ledger's height, …) are absent: the conformance list avoids tests that use them.
      system = (await startFabricSystem(
        { ...config, ledger: 'fabric', factsCache: 'off', fabricNetworkFile: join(fabricDir, 'network.json') },
        { listen: true, logger: options.logger ?? false },
      )) as unknown as EmbeddedSystem;
    } else {
      system = await startEmbeddedSystem(config, { listen: true, logger: options.logger ?? false });
    }
  } catch (error) {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const address = system.gateway.server.address() as AddressInfo;
  const verifier = (system as { verifier?: { server: { address(): unknown } } }).verifier;
  const verifierAddress = verifier?.server.address() as AddressInfo | null | undefined;
  const credentials = JSON.parse(readFileSync(join(dataDir, 'demo', 'credentials.json'), 'utf8')) as {
    principals: Record<string, { token: string }>;
  };
  const tokens = Object.fromEntries(Object.entries(credentials.principals).map(([name, p]) => [name, p.token])) as Record<DemoPrincipalName, string>;
  let closing: Promise<void> | undefined;
  const gatewayUrl = `http://127.0.0.1:${address.port}`;
  return {
    system,
    gatewayUrl,
    verifierUrl: verifierAddress ? `http://127.0.0.1:${verifierAddress.port}` : undefined,
    dataDir,
    tokens,
    auth: (name) => ({ authorization: `Bearer ${tokens[name]}` }),
    request: async (method, path, request = {}) => {
      const headers: Record<string, string> = { ...(request.as ? { authorization: `Bearer ${tokens[request.as]}` } : {}) };
      let body: string | Buffer | undefined;
      if (typeof request.body === 'string' || Buffer.isBuffer(request.body)) body = request.body;
      else if (request.body !== undefined) {
        body = JSON.stringify(request.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${request.base ?? gatewayUrl}${path}`, { method, headers: { ...headers, ...request.headers }, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let parsed: unknown = text;
      if (/json/.test(response.headers.get('content-type') ?? '')) parsed = text === '' ? undefined : JSON.parse(text);
      return { status: response.status, headers: response.headers, body: parsed };
    },
    close: () => {
      closing ??= (async () => {
        await system.close();
        if (temporary) rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
