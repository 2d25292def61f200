/**
 * A real Hyperledger Fabric network, natively, through the command line an operator runs:
 * `licensechain network up` → `status` → a real transaction through @hyperledger/fabric-gateway
 * (a chaincode refusal, then `registry:Bootstrap` endorsed by both organisations' peers — the
 * endorsement policy requires both, so both ran the chaincode and agreed — then the result read
 * through each peer) → a second `up` that finds it up → `down`, after which nothing of it runs.
 *
 * Needs Fabric 2.5's binaries (FABRIC_BIN or PATH; README.md "Fabric mode"); without them the
 * file is skipped with one line saying what is missing.
 */
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway } from '@hyperledger/fabric-gateway';
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { loadConsortium, memberCredentials } from '../../certs/consortium';
import { fabricMissing } from '../../network/binaries';
import { portFree } from '../../network/health';
import { freePortBlock } from '../support/free-ports';
import type { NetworkFile } from '../../network/network-file';
import { isOurs, markedProcesses } from '../../network/processes';

const CLI = path.join(__dirname, '..', '..', 'bin', 'licensechain.js');

function cli(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs, encoding: 'utf8', env: process.env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}


async function gatewayFor(network: NetworkFile, mspId: string, user: string, peerName: string): Promise<{ gateway: Gateway; client: grpc.Client }> {
  const consortium = await loadConsortium(network.consortiumDir);
  const credentials = await memberCredentials(consortium, mspId, user);
  const peer = network.peers.find((p) => p.name === peerName);
  if (!peer) throw new Error(`no peer ${peerName}`);
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaCertificatePath)), {
    'grpc.ssl_target_name_override': peer.name,
  });
  const gateway = connect({
    client,
    identity: { mspId, credentials: Buffer.from(credentials.certificate) },
    signer: signers.newPrivateKeySigner(createPrivateKey(credentials.privateKey)),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 30_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 30_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  return { gateway, client };
}

function errorText(error: unknown): string {
  const e = error as { message?: string; details?: Array<{ message: string }> };
  return [e.message ?? String(error), ...(e.details ?? []).map((d) => d.message)].join(' | ');
}

const missing = fabricMissing();

if (missing) {
  t.plan(0, `skipped: ${missing}`);
} else {
  t.test('licensechain network up, a transaction on both peers, idempotent up, down', async (t) => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lc-fabric-')), 'net');
    const basePort = await freePortBlock();
    t.teardown(async () => {
      if (existsSync(dir)) await cli(['network', 'down', '--dir', dir]);
      await rm(path.dirname(dir), { recursive: true, force: true });
    });

    const up = await cli(['network', 'up', '--dir', dir, '--base-port', String(basePort)]);
    t.equal(up.code, 0, `network up exits 0\n${up.stdout}${up.stderr}`);
    if (up.code !== 0) return;
    t.comment(`network up took ${(up.ms / 1000).toFixed(1)} s`);

    const status = await cli(['network', 'status', '--dir', dir, '--json']);
    t.equal(status.code, 0, 'status exits 0 when up');
    const state = JSON.parse(status.stdout) as { state: string; processes: Array<{ name: string; healthy: boolean; pid: number }> };
    t.equal(state.state, 'up');
    t.equal(state.processes.length, 4, 'orderer, two peers, chaincode server');
    t.ok(state.processes.every((p) => p.healthy), 'every process healthy');

    const network = JSON.parse(readFileSync(path.join(dir, 'network.json'), 'utf8')) as NetworkFile;
    t.equal(network.channel, 'licensechain');
    t.equal(network.chaincode, 'licensechain');
    t.same(network.peers.map((p) => p.mspId), ['AuthorityMSP', 'AgencyAMSP']);
    t.same(Object.keys(network.peerForOrg).sort(), ['AgencyAMSP', 'AgencyBMSP', 'AuditMSP', 'AuthorityMSP', 'PortalMSP', 'VerifierMSP']);
    t.equal(network.orderers[0]?.endpoint, `127.0.0.1:${basePort}`);
    t.match(network.chaincodeServer.packageId, /^licensechain_1\.0:[0-9a-f]{64}$/);

    const viaAuthority = await gatewayFor(network, 'AuthorityMSP', 'admin', network.peerForOrg.AuthorityMSP as string);
    const viaAgencyA = await gatewayFor(network, 'AuthorityMSP', 'admin', network.peerForOrg.AgencyAMSP as string);
    t.teardown(() => {
      for (const g of [viaAuthority, viaAgencyA]) {
        g.gateway.close();
        g.client.close();
      }
    });
    const registry = (g: { gateway: Gateway }) => g.gateway.getNetwork(network.channel).getContract(network.chaincode, 'registry');

    // The chaincode answers (here: refuses, the registry being empty) — a read through the gateway.
    const refusal = await registry(viaAuthority).evaluateTransaction('GetOrganisation', 'AuthorityMSP').then(
      () => undefined,
      (error: unknown) => errorText(error),
    );
    t.match(refusal, /FORBIDDEN|not registered/, `the chaincode refuses an unregistered caller: ${refusal}`);

    // A write: endorsed by both peers (AND('AuthorityMSP.peer','AgencyAMSP.peer')), ordered, committed.
    const result = await registry(viaAuthority).submitAsync('Bootstrap');
    const committed = await result.getStatus();
    t.ok(committed.successful, `Bootstrap committed VALID in block ${committed.blockNumber}`);
    const org = JSON.parse(Buffer.from(result.getResult()).toString('utf8')) as { mspId: string; authority: boolean; roles: string[] };
    t.same({ mspId: org.mspId, authority: org.authority, roles: org.roles }, { mspId: 'AuthorityMSP', authority: true, roles: ['admin'] });

    // The state, read through each peer's gateway.
    for (const [name, via] of [['AuthorityMSP peer', viaAuthority], ['AgencyAMSP peer', viaAgencyA]] as const) {
      const read = JSON.parse(Buffer.from(await registry(via).evaluateTransaction('GetOrganisation', 'AuthorityMSP')).toString('utf8')) as { mspId: string };
      t.equal(read.mspId, 'AuthorityMSP', `the bootstrap is visible through the ${name}`);
    }

    // Idempotent: a second up finds the network up.
    const again = await cli(['network', 'up', '--dir', dir, '--base-port', String(basePort)]);
    t.equal(again.code, 0, 'a second up exits 0');
    t.match(again.stdout, /already up/);
    t.comment(`second up took ${(again.ms / 1000).toFixed(1)} s`);

    const pids = state.processes.map((p) => p.pid);
    const down = await cli(['network', 'down', '--dir', dir]);
    t.equal(down.code, 0, `network down exits 0\n${down.stdout}${down.stderr}`);
    t.notOk(existsSync(dir), 'the network folder is gone');
    t.same(pids.filter((pid) => isOurs(pid, dir)), [], 'none of its processes runs');
    t.same(markedProcesses(dir), [], 'no process of the network is left');
    const busy: number[] = [];
    for (let p = basePort; p < basePort + 10; p++) if (!(await portFree(p))) busy.push(p);
    t.same(busy, [], 'its ports are free');

    const status2 = await cli(['network', 'status', '--dir', dir]);
    t.equal(status2.code, 1, 'status exits 1 when down');
    t.match(status2.stdout, /network down/);
  });
}
