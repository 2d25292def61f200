/**
 * The system under benchmark: the embedded system (ledger, gateway, verifier) — or the Fabric
 * system on a running network — in this process on ephemeral ports, in a temporary data folder
 * removed on close, with the demo principals' tokens; and the request bodies the benchmarks send.
 */
import '../../test/support/quiet';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usccCheckCharacter } from '../../domain/holder-code';
import { loadConfig, type SystemConfig } from '../../system/config';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../system/embedded-system';
import { startFabricSystem, type FabricSystem } from '../../system/fabric-system';
import type { LicenseChainSystem } from '../../system/services';

export type PrincipalName = 'admin' | 'issuerA' | 'issuerB' | 'portal' | 'verifier' | 'auditor';

export interface BenchSystem<S extends LicenseChainSystem = EmbeddedSystem> {
  readonly system: S;
  readonly gatewayUrl: string;
  readonly verifierUrl: string;
  readonly dataDir: string;
  /** `{ authorization: 'Bearer …' }` of a demo principal. */
  auth(name: PrincipalName): Record<string, string>;
  close(): Promise<void>;
}

/** Starts the embedded system exactly as configured by default (block cutting included), silent. */
export function startBenchSystem(): Promise<BenchSystem> {
  return benchSystem((config) => startEmbeddedSystem(config));
}

/**
 * Starts the Fabric system (`LC_LEDGER=fabric`, system/fabric-system.ts) on the running network
 * that `networkFile` (`<LC_FABRIC_DIR>/network.json`) describes, otherwise as configured by
 * default, silent; its own data folder (gateway stores, seal keyring, tokens) is temporary.
 */
export function startFabricBenchSystem(networkFile: string): Promise<BenchSystem<FabricSystem>> {
  return benchSystem((config) => startFabricSystem({ ...config, ledger: 'fabric', fabricNetworkFile: networkFile, factsCache: 'off' }));
}

async function benchSystem<S extends LicenseChainSystem>(start: (config: SystemConfig) => Promise<S>): Promise<BenchSystem<S>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-bench-'));
  let system: S;
  try {
    system = await start(
      loadConfig({}, { dataDir, gateway: { host: '127.0.0.1', port: 0 }, verifier: { host: '127.0.0.1', port: 0 }, logLevel: 'silent' }),
    );
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const port = (server: { address(): unknown }): number => (server.address() as AddressInfo).port;
  const credentials = JSON.parse(readFileSync(join(dataDir, 'demo', 'credentials.json'), 'utf8')) as { principals: Record<string, { token: string }> };
  let closing: Promise<void> | undefined;
  return {
    system,
    gatewayUrl: `http://127.0.0.1:${port(system.gateway.server)}`,
    verifierUrl: `http://127.0.0.1:${port(system.verifier.server)}`,
    dataDir,
    auth: (name) => ({ authorization: `Bearer ${credentials.principals[name]?.token ?? ''}` }),
    close: () => {
      closing ??= (async () => {
        try {
          await system.close();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}

/** Removes the data folder even when the benchmark is interrupted. */
export function closeOnSignal(bench: BenchSystem<LicenseChainSystem>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void bench.close().finally(() => process.exit(130));
    });
  }
}

const TYPE_A = DEMO_LICENSE_TYPES[0] as (typeof DEMO_LICENSE_TYPES)[number];

/** A valid USCC, distinct per `n` (< 10⁷). */
export function companyCode(n: number): string {
  const body = `91310000MA${String(n).padStart(7, '0')}`;
  return `${body}${usccCheckCharacter(body)}`;
}

/**
 * The body of `POST /v1/licenses` (issuerA's demo type), distinct per `n` and per `run` (so that
 * two runs in one data folder never collide): number, holder and identifier all differ.
 */
export function licenseInput(n: number, run: string): Record<string, unknown> {
  return {
    typeCode: TYPE_A.typeCode,
    number: `沪食经${run}${String(n).padStart(7, '0')}`,
    holder: { name: `上海某某餐饮有限公司${n}`, codeType: '001', code: companyCode(n % 10_000_000) },
    issuedOn: '2025-03-01',
    validFrom: '2025-03-01',
    validUntil: '2035-02-28',
    areaCode: '310101',
    fields: { 经营场所: `上海市黄浦区南京东路${n}号`, 主体业态: '餐饮服务经营者', 经营项目: ['热食类食品制售'] },
  };
}
