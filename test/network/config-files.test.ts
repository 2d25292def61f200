/**
 * The generated Fabric configuration, from a stand-in for Fabric's sample folder: the channel has
 * every demo organisation, endorsement by both peer organisations, the batch settings, TLS
 * everywhere, channel participation, no Docker and our external builder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { ccaasBuilderDir, writeNetworkConfig } from '../../network/config-files';
import { ensureNetworkConsortium } from '../../network/crypto';
import { networkLayout, networkPorts } from '../../network/layout';
import { networkFileOf } from '../../network/network-file';
import { DEMO_ORGANISATIONS, DEMO_PRINCIPALS } from '../../system/demo-consortium';

const SAMPLE_CONFIGTX = `
Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Application: &ApplicationDefaults
  ACLs: {peer/Propose: /Channel/Application/Writers}
  Policies: {}
  Capabilities:
    <<: *ApplicationCapabilities
Orderer: &OrdererDefaults
  OrdererType: solo
  BatchTimeout: 2s
  EtcdRaft: {Options: {TickInterval: 500ms, ElectionTick: 10}}
Channel: &ChannelDefaults
  Policies: {Readers: {Type: ImplicitMeta, Rule: ANY Readers}}
  Capabilities:
    <<: *ChannelCapabilities
`;

t.test('configtx.yaml, orderer.yaml, core.yaml and network.json', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'lc-netcfg-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const sample = path.join(root, 'fabric-config');
  await mkdir(sample);
  await writeFile(path.join(sample, 'configtx.yaml'), SAMPLE_CONFIGTX);
  await writeFile(path.join(sample, 'orderer.yaml'), 'General: {ListenPort: 7050, Keepalive: {ServerMinInterval: 60s}}\nKafka: {}\n');
  await writeFile(path.join(sample, 'core.yaml'), 'peer: {id: jdoe, gossip: {pullInterval: 4s}}\nvm: {endpoint: unix:///var/run/docker.sock}\nchaincode: {externalBuilders: []}\n');

  const layout = networkLayout({ dir: path.join(root, 'net'), basePort: 31000, batch: { timeout: '150ms' } });
  t.same(networkPorts(layout).map((p) => p.port), [...Array(10).keys()].map((i) => 31000 + i), 'ten consecutive ports');
  const consortium = await ensureNetworkConsortium(layout.consortiumDir);
  await writeNetworkConfig(layout, consortium, sample);

  // The PKI: the demo principals with their roles, an admin-OU identity per node organisation.
  const org = (mspId: string) => consortium.organisations.find((o) => o.mspId === mspId)!;
  for (const p of DEMO_PRINCIPALS) t.equal(org(p.mspId).users.find((u) => u.name === p.name)?.role, p.role, `${p.name}: lc.role ${p.role}`);
  for (const mspId of ['AuthorityMSP', 'AgencyAMSP', 'OrdererMSP']) t.equal(org(mspId).users.find((u) => u.name === 'fabric-admin')?.nodeOU, 'admin');
  t.same(org('AuthorityMSP').peers.map((p) => p.name), ['peer0.authority.licensechain']);
  t.same(org('OrdererMSP').orderers.map((o) => o.name), ['orderer0.orderer.licensechain']);

  const configtx = parse(await readFile(path.join(layout.configDir, 'configtx.yaml'), 'utf8'));
  const profile = configtx.Profiles.LicenseChain;
  t.same(profile.Application.Organizations.map((o: { ID: string }) => o.ID), DEMO_ORGANISATIONS.map((o) => o.mspId), 'every demo organisation');
  t.same(profile.Application.Policies.Endorsement, { Type: 'Signature', Rule: "AND('AuthorityMSP.peer','AgencyAMSP.peer')" });
  t.same(profile.Application.Policies.LifecycleEndorsement, profile.Application.Policies.Endorsement);
  t.same(profile.Application.ACLs, { 'peer/Propose': '/Channel/Application/Writers' }, "the sample's ACLs kept");
  const authority = profile.Application.Organizations[0];
  t.same(authority.AnchorPeers, [{ Host: '127.0.0.1', Port: 31003 }]);
  t.equal(authority.Policies.Writers.Rule, "OR('AuthorityMSP.admin','AuthorityMSP.client')");
  t.notOk(profile.Application.Organizations.find((o: { ID: string }) => o.ID === 'PortalMSP').AnchorPeers, 'no anchor peer without a peer');
  t.equal(profile.Orderer.OrdererType, 'etcdraft');
  t.equal(profile.Orderer.BatchTimeout, '150ms');
  t.same(profile.Orderer.BatchSize, { MaxMessageCount: 500, AbsoluteMaxBytes: 10485760, PreferredMaxBytes: 4194304 });
  t.equal(profile.Orderer.EtcdRaft.Consenters[0].Port, 31000);
  t.equal(profile.Orderer.EtcdRaft.Options.ElectionTick, 10, "the sample's Raft options kept");
  t.same(profile.Orderer.Organizations[0].OrdererEndpoints, ['127.0.0.1:31000']);

  const orderer = parse(await readFile(path.join(layout.orderer.configDir, 'orderer.yaml'), 'utf8'));
  t.equal(orderer.General.TLS.Enabled, true);
  t.equal(orderer.General.BootstrapMethod, 'none');
  t.equal(orderer.General.Keepalive.ServerMinInterval, '60s', "the sample's other settings kept");
  t.equal(orderer.ChannelParticipation.Enabled, true);
  t.same([orderer.Admin.ListenAddress, orderer.Admin.TLS.ClientAuthRequired], ['127.0.0.1:31001', true]);
  t.notOk('Kafka' in orderer);

  for (const peer of layout.peers) {
    const core = parse(await readFile(path.join(peer.configDir, 'core.yaml'), 'utf8'));
    t.equal(core.peer.listenAddress, `127.0.0.1:${peer.port}`);
    t.equal(core.peer.tls.enabled, true);
    t.equal(core.peer.gossip.externalEndpoint, `127.0.0.1:${peer.port}`);
    t.equal(core.peer.gossip.reconnectInterval, '2s');
    t.equal(core.peer.gossip.pullInterval, '4s', "the sample's other settings kept");
    t.equal(core.vm.endpoint, '', 'no Docker');
    t.same(core.chaincode.externalBuilders.map((b: { name: string; path: string }) => [b.name, b.path]), [['ccaas', ccaasBuilderDir()]]);
    t.equal(core.ledger.state.stateDatabase, 'goleveldb');
    t.equal(core.ledger.history.enableHistoryDatabase, true);
  }
  t.ok(existsSync(path.join(ccaasBuilderDir(), 'bin', 'release')), 'the builder path is absolute and exists');

  const file = networkFileOf(layout, consortium, 'licensechain_1.0:abc');
  t.same(Object.keys(file), ['channel', 'chaincode', 'consortiumDir', 'peers', 'orderers', 'peerForOrg', 'chaincodeServer', 'ordererBatch']);
  t.equal(file.peerForOrg.AgencyAMSP, 'peer0.agencya.licensechain', 'a peer organisation uses its own peer');
  t.equal(file.peerForOrg.PortalMSP, 'peer0.authority.licensechain', 'the others one of theirs');
  t.equal(file.ordererBatch.timeout, '150ms');
});

t.test('batch settings and ports are checked', async (t) => {
  t.throws(() => networkLayout({ dir: '/tmp/x', batch: { timeout: 'fast' } }), /Go duration/);
  t.throws(() => networkLayout({ dir: '/tmp/x', batch: { maxMessageCount: 0 } }), /positive/);
  t.throws(() => networkLayout({ dir: '/tmp/x', batch: { preferredMaxBytes: 20 * 1024 * 1024 } }), /exceed/);
  t.throws(() => networkLayout({ dir: '/tmp/x', basePort: 65530 }), /base port/);
});
