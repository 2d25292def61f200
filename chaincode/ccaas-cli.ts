/**
 * `licensechain chaincode package | serve`: the chaincode as a service.
 *
 *   licensechain chaincode package [--label licensechain_1.0] [--address 127.0.0.1:9999] [--dial-timeout 10s] [--out FILE]
 *       writes the ccaas package (default ./<label>.tar.gz) and prints its package id
 *   CHAINCODE_ID=<package id> CHAINCODE_SERVER_ADDRESS=127.0.0.1:9999 licensechain chaincode serve
 *       runs the chaincode server (chaincode/ccaas-server.ts) until SIGINT/SIGTERM
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCcaasPackage, DEFAULT_CCAAS_LABEL } from './ccaas-package';
import type * as CcaasServer from './ccaas-server';

const USAGE = `usage: licensechain chaincode <package|serve>
  package [--label ${DEFAULT_CCAAS_LABEL}] [--address 127.0.0.1:9999] [--dial-timeout 10s] [--out FILE]
          write a Fabric ccaas package and print its package id
  serve   run the chaincode server; env CHAINCODE_ID (the installed package id, exactly) and
          CHAINCODE_SERVER_ADDRESS (host:port); optional CHAINCODE_TLS_CERT_FILE, CHAINCODE_TLS_KEY_FILE,
          CHAINCODE_TLS_CLIENT_CA_FILE; start it with a clean environment (fabric-shim reads CORE_*)`;

async function packageCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { label: { type: 'string' }, address: { type: 'string' }, 'dial-timeout': { type: 'string' }, out: { type: 'string' } },
  });
  const pkg = await buildCcaasPackage({
    label: values.label ?? DEFAULT_CCAAS_LABEL,
    address: values.address ?? '127.0.0.1:9999',
    ...(values['dial-timeout'] ? { dialTimeout: values['dial-timeout'] } : {}),
  });
  const out = path.resolve(values.out ?? `${pkg.label}.tar.gz`);
  await writeFile(out, pkg.bytes);
  process.stdout.write(`${pkg.packageId}\n`);
  process.stderr.write(`wrote ${out} (ccaas, address ${pkg.connection.address})\n`);
  return 0;
}

async function serveCommand(): Promise<never> {
  // Before fabric-shim creates its loggers: per-transaction lines are 'info'; refusals stay visible.
  process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
  const { chaincodeServerOptionsFromEnv, startChaincodeServer } = require('./ccaas-server') as typeof CcaasServer;
  const options = chaincodeServerOptionsFromEnv();
  await startChaincodeServer(options);
  process.stdout.write(`chaincode server listening on ${options.address} as ${options.chaincodeId}${options.tls ? ' (TLS)' : ''}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('chaincode server stopping\n');
  // fabric-shim's gRPC server has no stop of its own; nothing else is in flight to finish.
  process.exit(0);
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'package':
      return packageCommand(rest);
    case 'serve':
      return serveCommand();
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === '--help' ? 0 : 2;
  }
}
