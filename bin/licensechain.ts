#!/usr/bin/env node
/**
 * The LicenseChain command line.
 *
 *   licensechain start               the embedded system: ledger + gateway + verifier, demo data
 *   licensechain verify-ledger [dir] re-walk the embedded ledger from genesis
 *   licensechain certs …             PKI: consortium, identities (see `certs --help`)
 *   licensechain seal …              e-seals: make, sign, verify (see `seal --help`)
 */
import { run as certsCli } from '../certs/cli';
import { run as sealCli } from '../seal/cli';
import { verifyLedger } from '../ledger/embedded';
import { ConfigError, loadConfig } from '../system/config';
import { startEmbeddedSystem } from '../system/embedded-system';
import { join } from 'node:path';

const USAGE = `usage: licensechain <command>
  start                   run the embedded system (ledger, gateway, verifier) with demo data
  verify-ledger [dir]     verify the embedded ledger from genesis (default: $LC_DATA_DIR/ledger)
  certs …                 PKI commands
  seal …                  e-seal commands`;

async function start(): Promise<number> {
  const config = loadConfig();
  const system = await startEmbeddedSystem(config);
  process.stdout.write(
    `LicenseChain is running (embedded ledger at height ${system.ledger.height})\n` +
      `  gateway   http://${config.gateway.host}:${config.gateway.port}  (docs: /docs)\n` +
      `  verifier  http://${config.verifier.host}:${config.verifier.port}  (page: /verify)\n` +
      `  demo credentials: ${system.demo.credentialsPath}\n`,
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'verify-ledger': {
      const dir = rest[0] ?? join(loadConfig().dataDir, 'ledger');
      const report = await verifyLedger(dir);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return report.ok ? 0 : 1;
    }
    case 'certs':
      return certsCli(rest);
    case 'seal':
      return sealCli(rest);
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
    process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
