/**
 * The Fabric client against a real Fabric network, when one is up (`licensechain network up`
 * writes `$LC_FABRIC_DIR/network.json`, default `data/fabric/network.json`). Skipped, with one
 * line saying why, when there is no network file or no Fabric binaries (`FABRIC_BIN` unset and no
 * `peer` on PATH). The network is used as it is and never brought down.
 *
 * What it writes is what the demo seeding would write anyway: the registry bootstrap by
 * admin@AuthorityMSP if it was not done, and updates of the authority's own record to its demo
 * values (the version moves on, nothing else changes).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { loadConsortium, memberCredentials } from '../../certs/consortium';
import { newNodeSigner } from '../../certs/signer';
import { canonicalJson } from '../../domain/canonical-json';
import type { ChaincodeEvent, ConnectOptions, Contract } from '../../ledger/client';
import { EndorseError } from '../../ledger/errors';
import { FileCheckpointer } from '../../ledger/file-checkpointer';
import { FabricLedger, fabricLedgerOptions, readFabricNetwork, type FabricBlockJson, type FabricNetworkDescription, type FabricTransactionJson } from '../../ledger/fabric';
import { DEMO_ORGANISATIONS } from '../../system/demo-consortium';
import { startTestNetwork } from '../support/network';

const ROOT = resolve(__dirname, '../../..');
const NETWORK_DIR = resolve(process.env.LC_FABRIC_DIR ?? join(ROOT, 'data', 'fabric'));
const NETWORK_FILE = join(NETWORK_DIR, 'network.json');

function fabricBinaries(): string | undefined {
  if (process.env.FABRIC_BIN) return existsSync(join(process.env.FABRIC_BIN, 'peer')) ? process.env.FABRIC_BIN : undefined;
  return (process.env.PATH ?? '').split(delimiter).find((dir) => dir !== '' && existsSync(join(dir, 'peer')));
}

const skip = !existsSync(NETWORK_FILE)
  ? `no Fabric network (${NETWORK_FILE} not found; run \`licensechain network up\`)`
  : fabricBinaries() === undefined
    ? 'no Fabric binaries (FABRIC_BIN unset and no `peer` on PATH)'
    : undefined;

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const json = <T>(bytes: Uint8Array): T => JSON.parse(text(bytes)) as T;
const AUTHORITY = DEMO_ORGANISATIONS.find((o) => o.mspId === 'AuthorityMSP');
const authorityInput = (): string =>
  canonicalJson({ msp: AUTHORITY?.mspId, name: AUTHORITY?.name, code: AUTHORITY?.code, roles: [...(AUTHORITY?.roles ?? [])], areaCode: AUTHORITY?.areaCode });

async function identityOf(network: FabricNetworkDescription, mspId: string, name: string): Promise<ConnectOptions> {
  const consortium = await loadConsortium(network.consortiumDir);
  const credentials = await memberCredentials(consortium, mspId, name);
  return { identity: { mspId, credentials: Buffer.from(credentials.certificate) }, signer: newNodeSigner(credentials.privateKey) };
}

/** The next `n` events of a stream (closing it), with a deadline. */
async function nextEvents(stream: AsyncIterable<ChaincodeEvent> & { close(): void }, n: number, ms = 30_000): Promise<ChaincodeEvent[]> {
  const seen: ChaincodeEvent[] = [];
  const timer = setTimeout(() => stream.close(), ms);
  try {
    for await (const event of stream) {
      seen.push(event);
      if (seen.length === n) break;
    }
  } finally {
    clearTimeout(timer);
    stream.close();
  }
  return seen;
}

if (skip !== undefined) {
  t.plan(0, skip);
} else {
  t.test('the Fabric client on a real network', async (t) => {
    const network = await readFabricNetwork(NETWORK_FILE);
    const admin = await identityOf(network, 'AuthorityMSP', 'admin');
    const issuer = await identityOf(network, 'AgencyAMSP', 'issuerA');
    const ledger = new FabricLedger(await fabricLedgerOptions(network, 'AuthorityMSP', { reader: admin }));
    t.teardown(() => ledger.close());
    const issuerLedger = new FabricLedger(await fabricLedgerOptions(network, 'AgencyAMSP'));
    t.teardown(() => issuerLedger.close());
    await ledger.ready(15_000);
    await issuerLedger.ready(15_000);
    const adminGateway = ledger.connect(admin);
    const adminContract: Contract = adminGateway.getContract();
    const issuerContract = issuerLedger.connect(issuer).getContract();

    await t.test('bootstrap if needed; evaluate registry:ListOrganisations', async (t) => {
      try {
        const boot = await adminContract.submit('registry:Bootstrap');
        t.comment(`bootstrapped the registry in block ${boot.blockNumber}`);
      } catch (error) {
        t.match(error, { code: 'CONFLICT' }, 'already bootstrapped: CONFLICT, as on the embedded ledger');
      }
      const organisations = json<Array<{ mspId: string; authority: boolean }>>(await adminContract.evaluate('registry:ListOrganisations'));
      t.ok(organisations.some((o) => o.mspId === 'AuthorityMSP' && o.authority), 'the authority is registered');
    });

    let firstUpdate: { transactionId: string; blockNumber: number } | undefined;
    await t.test('submit as admin; its event arrives; resume from a checkpoint', async (t) => {
      const startBlock = (await ledger.info()).height;
      const events = await adminGateway.getChaincodeEvents({ startBlock });
      const before = json<{ version: number }>(await adminContract.evaluate('registry:GetOrganisation', { arguments: ['AuthorityMSP'] }));
      const first = await adminContract.submit('registry:UpdateOrganisation', { arguments: [authorityInput()] });
      firstUpdate = first;
      t.equal(first.code, 0);
      t.match(first.transactionId, /^[0-9a-f]{64}$/);
      t.ok(first.blockNumber >= startBlock, `committed in block ${first.blockNumber}`);
      const record = json<{ version: number; name: string; lastChange: { txId: string } }>(first.result);
      t.equal(record.version, before.version + 1);
      t.equal(record.lastChange.txId, first.transactionId, "the chaincode saw Fabric's transaction id");

      const [event] = await nextEvents(events, 1);
      t.match(event, { blockNumber: first.blockNumber, transactionId: first.transactionId, chaincodeName: network.chaincode, eventName: 'OrganisationUpdated' });
      t.same(json(event?.payload ?? new Uint8Array()), { mspId: 'AuthorityMSP', version: record.version });

      const dir = mkdtempSync(join(tmpdir(), 'lc-fabric-events-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const checkpointer = new FileCheckpointer(join(dir, 'checkpoint.json'));
      await checkpointer.checkpointTransaction(first.blockNumber, first.transactionId);
      const second = await adminContract.submit('registry:UpdateOrganisation', { arguments: [authorityInput()] });
      const resumed = await adminGateway.getChaincodeEvents({ checkpoint: new FileCheckpointer(join(dir, 'checkpoint.json')), startBlock: 0 });
      const [next] = await nextEvents(resumed, 1);
      t.equal(next?.transactionId, second.transactionId, 'resumes after the checkpointed transaction');
      t.equal(next?.blockNumber, second.blockNumber);
    });

    await t.test('refusals map to the codes and messages of the embedded ledger', async (t) => {
      const embedded = await startTestNetwork({ organisations: [{ mspId: 'AuthorityMSP' }, { mspId: 'AgencyAMSP' }] });
      t.teardown(() => embedded.close());
      const embeddedIssuer = await embedded.client('AgencyAMSP', { name: 'issuerA', role: 'issuer' });
      const calls: Array<[string, 'submit' | 'evaluate', string[]]> = [
        ['registry:RegisterOrganisation', 'submit', [authorityInput()]],
        ['registry:GetOrganisationHistory', 'evaluate', ['AuthorityMSP']],
        ['registry:NoSuchFunction', 'submit', []],
      ];
      for (const [name, how, args] of calls) {
        const onFabric = await issuerContract[how](name, { arguments: args }).catch((e: unknown) => e);
        const onEmbedded = await embeddedIssuer[how](name, { arguments: args }).catch((e: unknown) => e);
        t.type(onFabric, EndorseError, `${name}: refused on Fabric`);
        t.type(onEmbedded, EndorseError, `${name}: refused on the embedded ledger`);
        const view = (e: unknown) => ({ name: (e as EndorseError).name, code: (e as EndorseError).code, message: (e as EndorseError).message, detail: (e as EndorseError).detail });
        t.same(view(onFabric), view(onEmbedded), `${name}: same error (${(onFabric as EndorseError).code})`);
        t.match((onFabric as EndorseError).transactionId, /^[0-9a-f]{64}$/);
      }

      // An identity from a CA the channel does not trust: FORBIDDEN on both (the peer's MSP words it its own way).
      const impostorCa = await CertificateAuthority.create({ mspId: 'AgencyAMSP', organisation: 'Impostor' });
      const impostor = await impostorCa.issueIdentity({ commonName: 'mallory', attrs: { 'lc.role': 'admin' } });
      const onFabric = await issuerLedger
        .connect({ identity: { mspId: 'AgencyAMSP', credentials: Buffer.from(impostor.certificate) }, signer: newNodeSigner(impostor.privateKey) })
        .getContract()
        .submit('registry:Bootstrap')
        .catch((e: unknown) => e);
      const onEmbedded = await embedded.connect(impostor).submit('registry:Bootstrap').catch((e: unknown) => e);
      t.match(onFabric, { name: 'EndorseError', code: 'FORBIDDEN', message: /^access denied: / }, 'not a member: Fabric');
      t.match(onEmbedded, { name: 'EndorseError', code: 'FORBIDDEN', message: /^access denied: / }, 'not a member: embedded');
    });

    await t.test('concurrent conflicting submits: MVCC retries until each commits', async (t) => {
      const startBlock = (await ledger.info()).height;
      const before = json<{ version: number }>(await adminContract.evaluate('registry:GetOrganisation', { arguments: ['AuthorityMSP'] })).version;
      const results = await Promise.all(Array.from({ length: 4 }, () => adminContract.submit('registry:UpdateOrganisation', { arguments: [authorityInput()] })));
      const versions = results.map((r) => json<{ version: number }>(r.result).version).sort((a, b) => a - b);
      t.same(versions, [before + 1, before + 2, before + 3, before + 4], 'each update committed once, on the version it read');
      const end = (await ledger.info()).height;
      let conflicts = 0;
      for (let n = startBlock; n < end; n++) {
        const block = (await ledger.getBlock(n)) as FabricBlockJson;
        conflicts += block.transactions.filter((tx) => tx.validation === 'MVCC_READ_CONFLICT').length;
      }
      t.comment(`${conflicts} MVCC_READ_CONFLICT transaction(s) left in blocks ${startBlock}…${end - 1} by the retries`);
      t.ok(conflicts >= 0);
    });

    await t.test('info, getBlock, getTransaction through qscc', async (t) => {
      if (!firstUpdate) return t.fail('no transaction to look up');
      const info = await ledger.info();
      t.ok(info.height > firstUpdate.blockNumber);
      t.match(info.currentBlockHash, /^[0-9a-f]{64}$/);
      const last = (await ledger.getBlock(info.height - 1)) as FabricBlockJson;
      const previous = (await ledger.getBlock(info.height - 2)) as FabricBlockJson;
      t.equal(last.hash, info.currentBlockHash, "our header hash is the peer's");
      t.equal(previous.hash, info.previousBlockHash);
      t.equal(last.previousHash, previous.hash, 'the chain links');
      const genesis = (await ledger.getBlock(0)) as FabricBlockJson;
      t.match(genesis.transactions[0], { type: 'config', config: { channelId: network.channel } });
      t.ok((genesis.transactions[0]?.config?.organisations.length ?? 0) >= 2, 'organisations in the channel configuration');

      const block = (await ledger.getBlock(firstUpdate.blockNumber)) as FabricBlockJson;
      const inBlock = block.transactions.find((tx) => tx.txId === firstUpdate?.transactionId);
      t.match(inBlock, { validationCode: 0, validation: 'VALID', type: 'endorser', creator: { mspId: 'AuthorityMSP' }, function: 'registry:UpdateOrganisation', event: 'OrganisationUpdated' });
      t.ok((inBlock?.writes?.length ?? 0) > 0, 'its writes');
      t.ok((inBlock?.endorsers?.length ?? 0) > 0, 'its endorsers');

      const tx = (await ledger.getTransaction(firstUpdate.transactionId)) as FabricTransactionJson;
      t.match(tx, { txId: firstUpdate.transactionId, blockNumber: firstUpdate.blockNumber, txNumber: inBlock?.txNumber, validationCode: 0, validation: 'VALID' });
      t.equal(await ledger.getTransaction('0'.repeat(64)), undefined, 'an unknown transaction');
      t.equal(await ledger.getBlock(info.height + 1000), undefined, 'a block beyond the height');
    });
  });
}
