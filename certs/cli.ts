/**
 * `licensechain certs …`: the PKI from the command line.
 *
 *   certs consortium --out DIR --spec FILE.json
 *   certs identity --ca-dir DIR --name NAME [--role ROLE] [--node-ou client|peer|orderer|admin]
 *                  [--attr NAME=VALUE]… [--msp-id ID] [--tls-ca-dir DIR] --out DIR
 *
 * Exit codes: 0 done, 1 the command failed (the message carries the error code), 2 bad usage.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createConsortium } from './consortium';
import type { ConsortiumSpec } from './consortium';
import { isNodeOU } from './credentials';
import { loadCaDir, MSP_PATHS, tlsPaths, writeMsp, writeTls } from './msp-layout';

/** Where the CLI writes; defaults to the process streams. */
export interface CliIO {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

const USAGE = `usage:
  certs consortium --out DIR --spec FILE.json
      Create (or complete) a consortium's CAs, MSPs, identities and TLS material under DIR.
      Existing material is reused, never regenerated.
  certs identity --ca-dir DIR --name NAME [--role ROLE] [--node-ou client|peer|orderer|admin]
                 [--attr NAME=VALUE]... [--msp-id ID] [--tls-ca-dir DIR] --out DIR
      Issue one identity with a CA folder (…/organizations/<mspId>/ca implies the MSP ID and its
      sibling tlsca/ the TLS CA) into DIR/msp (and DIR/tls when a TLS CA is known).
`;

class UsageError extends Error {}

// node:util parseArgs refusals: bad usage, like a missing option.
const PARSE_ARGS_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Runs a `certs` command. `argv` starts at the sub-command (a leading `certs` is skipped).
 * @returns the process exit code: 0 done, 1 failed, 2 bad usage.
 */
export async function run(argv: readonly string[], io: CliIO = { out: process.stdout, err: process.stderr }): Promise<number> {
  const args = argv[0] === 'certs' ? argv.slice(1) : [...argv];
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'consortium':
        return await consortium(rest, io);
      case 'identity':
        return await identity(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError || PARSE_ARGS_ERRORS.has((err as { code?: string }).code ?? '')) {
      io.err.write(`certs: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    io.err.write(`certs: ${(err as Error).message}\n`);
    return 1;
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

async function consortium(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, spec: { type: 'string' } }, strict: true });
  const out = required(values, 'out');
  const specFile = required(values, 'spec');
  let spec: ConsortiumSpec;
  try {
    spec = JSON.parse(await readFile(specFile, 'utf8')) as ConsortiumSpec;
  } catch (err) {
    throw new Error(`cannot read spec ${specFile}: ${(err as Error).message}`);
  }
  const result = await createConsortium(out, spec);
  for (const dir of result.created) io.out.write(`created ${path.relative(process.cwd(), dir) || '.'}\n`);
  for (const org of result.organisations) {
    const members = [...org.users, ...org.peers, ...org.orderers].map((m) => (m.role ? `${m.name} (${m.nodeOU}, ${m.role})` : `${m.name} (${m.nodeOU})`));
    io.out.write(`${org.mspId} "${org.name}": ${members.join(', ') || 'no members'}\n`);
  }
  io.out.write(`consortium at ${result.dir}: ${result.created.length === 0 ? 'everything reused, nothing written' : `${result.created.length} folder(s) created`}\n`);
  return 0;
}

async function identity(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'ca-dir': { type: 'string' },
      'tls-ca-dir': { type: 'string' },
      'msp-id': { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      'node-ou': { type: 'string' },
      attr: { type: 'string', multiple: true },
      out: { type: 'string' },
    },
    strict: true,
  });
  const caDir = required(values, 'ca-dir');
  const name = required(values, 'name');
  const out = path.resolve(required(values, 'out'));
  const nodeOU = values['node-ou'] ?? 'client';
  if (!isNodeOU(nodeOU)) throw new UsageError('--node-ou must be client, peer, orderer or admin');
  const attrs: Record<string, string> = {};
  for (const pair of values.attr ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--attr ${JSON.stringify(pair)} is not NAME=VALUE`);
    attrs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (values.role !== undefined) attrs['lc.role'] = values.role;
  if (await exists(out)) throw new Error(`${out} already exists; choose another --out or remove it`);

  const ca = await loadCaDir(caDir, values['msp-id']);
  const siblingTls = path.join(path.dirname(path.resolve(caDir)), 'tlsca');
  const tlsCaDir = values['tls-ca-dir'] ?? ((await exists(siblingTls)) && path.resolve(siblingTls) !== path.resolve(caDir) ? siblingTls : undefined);
  const tlsCa = tlsCaDir === undefined ? undefined : await loadCaDir(tlsCaDir, ca.mspId);

  const creds = await ca.issueIdentity({ commonName: name, nodeOU, attrs });
  const mspDir = path.join(out, 'msp');
  await writeMsp(mspDir, { caCertificate: ca.certificate, tlsCaCertificate: tlsCa?.certificate, signCertificate: creds.certificate, privateKey: creds.privateKey });
  const written = [path.join(mspDir, MSP_PATHS.signCertificate), path.join(mspDir, MSP_PATHS.privateKey), path.join(mspDir, MSP_PATHS.config)];
  if (tlsCa) {
    const tls = await tlsCa.issueTls({ commonName: name, hosts: [], usage: 'client' });
    const tlsDir = path.join(out, 'tls');
    await writeTls(tlsDir, { kind: 'client', caCertificate: tlsCa.certificate, certificate: tls.certificate, privateKey: tls.privateKey });
    const names = tlsPaths('client');
    written.push(path.join(tlsDir, names.certificate), path.join(tlsDir, names.privateKey));
  }
  for (const file of written) io.out.write(`wrote ${file}\n`);
  io.out.write(`identity ${name} of ${ca.mspId}: OU=${nodeOU}${values.role ? `, lc.role=${values.role}` : ''}\n`);
  return 0;
}
