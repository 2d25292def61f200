#!/usr/bin/env node
/**
 * The LicenseChain command line.
 *
 *   licensechain start               the embedded system: ledger + gateway + verifier, demo data
 *   licensechain verify-ledger [dir] re-walk the embedded ledger from genesis
 *   licensechain import FILE …       bulk collection from NDJSON or CSV (see below)
 *   licensechain certs …             PKI: consortium, identities (see `certs --help`)
 *   licensechain seal …              e-seals: make, sign, verify (see `seal --help`)
 *   licensechain network …           a local Hyperledger Fabric network: up, down, status
 *   licensechain chaincode …         the chaincode as a service: package, serve
 *
 * Each command loads only its own modules: `chaincode serve` runs as the chaincode server
 * process of a Fabric network and needs none of the services (nor the embedded ledger's
 * silencing of fabric-shim's loggers).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// Types only (erased): each command's modules are required when the command runs.
import type * as CertsCli from '../certs/cli';
import type * as ChaincodeCli from '../chaincode/ccaas-cli';
import type * as BulkImport from '../gateway/bulk-import';
import type * as EmbeddedLedger from '../ledger/embedded';
import type * as NetworkCli from '../network/cli';
import type * as SealCli from '../seal/cli';
import type * as Config from '../system/config';
import type * as EmbeddedSystem from '../system/embedded-system';
import type * as FabricSystem from '../system/fabric-system';
import type * as MallocInUse from '../system/malloc-in-use';
import type * as MemoryLimits from '../system/memory-limits';

const USAGE = `usage: licensechain <command>
  start                   run the system (ledger, gateway, verifier) with demo data; LC_LEDGER=fabric:
                          on the network \`network up\` made (LC_FABRIC_NETWORK)
  verify-ledger [dir]     verify the embedded ledger from genesis (default: $LC_DATA_DIR/ledger)
  import FILE [--principal NAME | --token T] [--gateway URL] [--batch-size N]
                          bulk-collect licenses from NDJSON or CSV, resumable
  certs …                 PKI commands
  seal …                  e-seal commands
  network up|down|status  a local Hyperledger Fabric 2.5 network (needs Fabric's binaries: README "Fabric mode")
  chaincode package|serve the chaincode as a service (Fabric ccaas package, chaincode server)`;

/**
 * The embedded system's commands: quiet fabric-shim's and fabric-contract-api's loggers before
 * anything loads them (the embedded ledger's side-effect module; see its comment).
 */
function embeddedMode(): void {
  require('../ledger/embedded/quiet-fabric-loggers');
}

async function start(): Promise<number> {
  (require('../system/memory-limits') as typeof MemoryLimits).limitHeapGrowth();
  const { loadConfig } = require('../system/config') as typeof Config;
  const config = loadConfig();
  let system: { ledger: { info(): Promise<{ height: number }> }; demo: { credentialsPath: string }; close(): Promise<void> };
  if (config.ledger === 'fabric') {
    const { startFabricSystem } = require('../system/fabric-system') as typeof FabricSystem;
    system = await startFabricSystem(config);
  } else {
    embeddedMode();
    const { startEmbeddedSystem } = require('../system/embedded-system') as typeof EmbeddedSystem;
    system = await startEmbeddedSystem(config);
  }
  const { height } = await system.ledger.info();
  const malloc = (require('../system/malloc-in-use') as typeof MallocInUse).mallocInUse();
  process.stdout.write(
    `LicenseChain is running (${config.ledger} ledger at height ${height})\n` +
      `  gateway   http://${config.gateway.host}:${config.gateway.port}  (docs: /docs)\n` +
      `  verifier  http://${config.verifier.host}:${config.verifier.port}  (page: /verify)\n` +
      `  demo credentials: ${system.demo.credentialsPath}\n` +
      `  malloc    ${malloc === 'jemalloc' ? malloc : `${malloc} (for long runs use jemalloc: README "Memory")`}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write('shutting down: finishing in-flight requests and pending blocks…\n');
  await system.close();
  return 0;
}

async function importFile(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { principal: { type: 'string' }, token: { type: 'string' }, gateway: { type: 'string' }, 'batch-size': { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) throw new Error('import: name the NDJSON or CSV file');
  embeddedMode();
  const { loadConfig } = require('../system/config') as typeof Config;
  const { bulkImport } = require('../gateway/bulk-import') as typeof BulkImport;
  let { token, gateway } = values;
  if (!token) {
    // The demo's credentials file names each principal's token.
    const credentials = JSON.parse(readFileSync(join(loadConfig().dataDir, 'demo', 'credentials.json'), 'utf8')) as {
      gateway: string;
      principals: Record<string, { token: string }>;
    };
    token = credentials.principals[values.principal ?? 'issuerA']?.token;
    gateway ??= credentials.gateway;
    if (!token) throw new Error(`import: no principal ${values.principal} in the demo credentials`);
  }
  const report = await bulkImport({
    file,
    gatewayUrl: gateway ?? 'http://127.0.0.1:7001',
    token,
    ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.failed === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'verify-ledger': {
      embeddedMode();
      const { loadConfig } = require('../system/config') as typeof Config;
      const { verifyLedger } = require('../ledger/embedded') as typeof EmbeddedLedger;
      const dir = rest[0] ?? join(loadConfig().dataDir, 'ledger');
      const report = await verifyLedger(dir);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return report.ok ? 0 : 1;
    }
    case 'import':
      return importFile(rest);
    case 'certs':
      return (require('../certs/cli') as typeof CertsCli).run(rest);
    case 'seal':
      return (require('../seal/cli') as typeof SealCli).run(rest);
    case 'network':
      return (require('../network/cli') as typeof NetworkCli).run(rest);
    case 'chaincode':
      return (require('../chaincode/ccaas-cli') as typeof ChaincodeCli).run(rest);
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A configuration error (system/config.ts ConfigError) is the operator's to fix: its message suffices.
    const message = (error as Error | undefined)?.name === 'ConfigError' ? (error as Error).message : (error as Error).stack ?? String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  },
);
