/**
 * `licensechain network up | down | status` (see network.ts).
 *
 *   --dir DIR               the network folder (default $LC_FABRIC_DIR or data/fabric)
 *   --base-port N           ports N..N+9 on 127.0.0.1 (default $LC_FABRIC_BASE_PORT or 7050)
 *   --consortium DIR        use (and complete) this consortium folder instead of <dir>/consortium
 *   --batch-timeout 200ms --batch-max-messages 500 --batch-preferred-bytes 4194304
 *                           orderer block cutting ($LC_FABRIC_BATCH_TIMEOUT, …_MAX_MESSAGES, …_PREFERRED_BYTES)
 *   --json                  status as JSON
 */
import { parseArgs } from 'node:util';
import { FabricNotFoundError } from './binaries';
import type { NetworkOptions, OrdererBatch } from './layout';
import { defaultNetworkDir, networkDown, networkStatus, networkUp } from './network';

const USAGE = `usage: licensechain network <up|down|status> [--dir DIR] [--base-port N] [--consortium DIR]
       [--batch-timeout 200ms] [--batch-max-messages 500] [--batch-preferred-bytes 4194304] [--json]
  up      bring up a local Fabric 2.5 network (1 Raft orderer, peers of AuthorityMSP and AgencyAMSP,
          channel licensechain, chaincode licensechain as a service); needs Fabric's binaries
          (FABRIC_BIN or PATH — README.md "Fabric mode")
  down    stop it and remove its folder
  status  what runs, health, ports, logs (exit 0 only when up)`;

function integer(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${what} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

function optionsFrom(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): NetworkOptions {
  const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const basePort = integer(str(values['base-port']) ?? env.LC_FABRIC_BASE_PORT, 'base port');
  const batch: Partial<{ -readonly [K in keyof OrdererBatch]: OrdererBatch[K] }> = {};
  const timeout = str(values['batch-timeout']) ?? env.LC_FABRIC_BATCH_TIMEOUT;
  if (timeout) batch.timeout = timeout;
  const maxMessages = integer(str(values['batch-max-messages']) ?? env.LC_FABRIC_BATCH_MAX_MESSAGES, 'batch max messages');
  if (maxMessages !== undefined) batch.maxMessageCount = maxMessages;
  const preferred = integer(str(values['batch-preferred-bytes']) ?? env.LC_FABRIC_BATCH_PREFERRED_BYTES, 'batch preferred bytes');
  if (preferred !== undefined) batch.preferredMaxBytes = preferred;
  const consortiumDir = str(values.consortium);
  return {
    dir: str(values.dir) ?? defaultNetworkDir(env),
    ...(basePort !== undefined ? { basePort } : {}),
    ...(consortiumDir ? { consortiumDir } : {}),
    ...(Object.keys(batch).length > 0 ? { batch } : {}),
  };
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      'base-port': { type: 'string' },
      consortium: { type: 'string' },
      'batch-timeout': { type: 'string' },
      'batch-max-messages': { type: 'string' },
      'batch-preferred-bytes': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [command] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const options = optionsFrom(values, env);
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    switch (command) {
      case 'up': {
        const result = await networkUp(options, (line) => say(`  ${line}`));
        if (result.alreadyUp) {
          say(`the network in ${options.dir} is already up (channel ${result.network.channel}, chaincode ${result.network.chaincode})`);
        } else {
          say(`network ${result.repaired ? 'repaired' : 'up'} in ${result.seconds} s: ${options.dir}/network.json`);
          for (const p of result.network.peers) say(`  peer     ${p.name} (${p.mspId})  ${p.endpoint}`);
          for (const o of result.network.orderers) say(`  orderer  ${o.name}  ${o.endpoint}  admin ${o.adminEndpoint}`);
          say(`  chaincode server ${result.network.chaincodeServer.address}  ${result.network.chaincodeServer.packageId}`);
          say(`  logs     ${options.dir}/logs/`);
        }
        return 0;
      }
      case 'down': {
        const was = await networkDown(options, (line) => say(`  ${line}`));
        say(was ? `network down: ${options.dir} removed` : `no network in ${options.dir}`);
        return 0;
      }
      case 'status': {
        const status = await networkStatus(options);
        if (values.json) {
          say(JSON.stringify(status, null, 2));
        } else {
          say(`network ${status.state}: ${status.dir}`);
          for (const p of status.processes) {
            say(`  ${p.healthy ? 'healthy' : p.running ? 'UNHEALTHY' : 'stopped'}  ${p.name}${p.pid !== null && p.running ? ` (pid ${p.pid})` : ''}`);
          }
          for (const port of status.ports) say(`  ${port.endpoint}  ${port.what}`);
          say(`  logs: ${status.logsDir}/`);
        }
        return status.state === 'up' ? 0 : 1;
      }
      default:
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    // What went wrong is in the message (with the relevant log's tail); a stack adds nothing for an operator.
    if (error instanceof FabricNotFoundError || (error instanceof Error && !env.LC_DEBUG)) {
      process.stderr.write(`licensechain network ${command}: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}
