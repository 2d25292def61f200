/**
 * Fabric's configuration files for the network, generated at run time into the network folder
 * from Fabric's own sample files (the config/ folder of its release archive): each is read with
 * the `yaml` package, the settings the network depends on are set, and everything else keeps
 * Fabric's defaults for the installed version.
 *
 * - configtx.yaml: profile `LicenseChain`: one etcdraft orderer (OrdererMSP); every demo
 *   organisation in the application group; endorsement and lifecycle endorsement by both peer
 *   organisations' peers; the orderer batch settings of the layout.
 * - orderer.yaml: channel participation (no system channel), TLS, admin endpoint with mutual TLS.
 * - core.yaml per peer: TLS, LevelDB state, history, fast gossip reconnects, no Docker (empty
 *   `vm.endpoint`) and the repository's ccaas external builder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Consortium, ConsortiumMember, ConsortiumOrganisation } from '../certs/consortium';
import { findMember, findOrganisation } from '../certs/consortium';
import { applicationMspIds } from './crypto';
import { endpoint, type NetworkLayout, type PeerNode, PEER_ORGANISATIONS } from './layout';

export const PROFILE = 'LicenseChain';

/** The repository's ccaas external builder (network/builders/ccaas, next to this file's source). */
export function ccaasBuilderDir(): string {
  // Compiled to build/network/config-files.js; the builder scripts stay in the source tree.
  const candidates = [path.resolve(__dirname, 'builders', 'ccaas'), path.resolve(__dirname, '..', '..', 'network', 'builders', 'ccaas')];
  return candidates.find((dir) => existsSync(path.join(dir, 'bin', 'detect'))) ?? (candidates[1] as string);
}

type Yaml = Record<string, any>;

async function readSample(configDir: string, file: string): Promise<Yaml> {
  const text = await readFile(path.join(configDir, file), 'utf8');
  const doc = parse(text, { merge: true }) as Yaml | null;
  if (doc === null || typeof doc !== 'object') throw new Error(`${path.join(configDir, file)} is not a YAML mapping`);
  return doc;
}

async function writeYaml(file: string, doc: Yaml, comment: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `# ${comment}\n${stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 })}`);
}

/** A mapping at `doc[key]`, created when absent. */
function section(doc: Yaml, ...keys: string[]): Yaml {
  let node = doc;
  for (const key of keys) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key];
  }
  return node;
}

function signature(rule: string): Yaml {
  return { Type: 'Signature', Rule: rule };
}

function roles(mspId: string, ...names: string[]): string {
  return `OR(${names.map((r) => `'${mspId}.${r}'`).join(',')})`;
}

/** The endorsement rule of the chaincode and of lifecycle: every peer organisation's peer. */
export function endorsementRule(): string {
  return `AND(${PEER_ORGANISATIONS.map((m) => `'${m}.peer'`).join(',')})`;
}

/** configtx.yaml with the `LicenseChain` profile. */
export async function writeConfigtx(layout: NetworkLayout, consortium: Consortium, fabricConfigDir: string): Promise<string> {
  const sample = await readSample(fabricConfigDir, 'configtx.yaml');
  const ordererOrg = findOrganisation(consortium, layout.orderer.mspId);
  const ordererNode = findMember(consortium, layout.orderer.mspId, layout.orderer.name);

  const applicationOrg = (org: ConsortiumOrganisation): Yaml => {
    const peer = layout.peers.find((p) => p.mspId === org.mspId);
    return {
      Name: org.mspId,
      ID: org.mspId,
      MSPDir: org.mspDir,
      Policies: {
        Readers: signature(roles(org.mspId, 'admin', 'peer', 'client')),
        Writers: signature(roles(org.mspId, 'admin', 'client')),
        Admins: signature(roles(org.mspId, 'admin')),
        Endorsement: signature(roles(org.mspId, 'peer')),
      },
      ...(peer ? { AnchorPeers: [{ Host: '127.0.0.1', Port: peer.port }] } : {}),
    };
  };
  const organisations = applicationMspIds().map((mspId) => applicationOrg(findOrganisation(consortium, mspId)));
  const orderer: Yaml = {
    Name: ordererOrg.mspId,
    ID: ordererOrg.mspId,
    MSPDir: ordererOrg.mspDir,
    Policies: {
      Readers: signature(roles(ordererOrg.mspId, 'member')),
      Writers: signature(roles(ordererOrg.mspId, 'member')),
      Admins: signature(roles(ordererOrg.mspId, 'admin')),
    },
    OrdererEndpoints: [endpoint(layout.orderer.port)],
  };

  const capabilities = sample.Capabilities ?? {};
  const application: Yaml = { ...(sample.Application ?? {}) };
  application.Organizations = organisations;
  application.Policies = {
    ...(application.Policies ?? {}),
    Readers: { Type: 'ImplicitMeta', Rule: 'ANY Readers' },
    Writers: { Type: 'ImplicitMeta', Rule: 'ANY Writers' },
    Admins: { Type: 'ImplicitMeta', Rule: 'MAJORITY Admins' },
    // Only two of the six organisations run peers: MAJORITY Endorsement could never be met.
    Endorsement: signature(endorsementRule()),
    LifecycleEndorsement: signature(endorsementRule()),
  };
  application.Capabilities = capabilities.Application ?? { V2_5: true };

  const ordererSection: Yaml = { ...(sample.Orderer ?? {}) };
  delete ordererSection.Kafka;
  delete ordererSection.Addresses;
  ordererSection.OrdererType = 'etcdraft';
  ordererSection.BatchTimeout = layout.batch.timeout;
  ordererSection.BatchSize = {
    MaxMessageCount: layout.batch.maxMessageCount,
    AbsoluteMaxBytes: layout.batch.absoluteMaxBytes,
    PreferredMaxBytes: layout.batch.preferredMaxBytes,
  };
  ordererSection.EtcdRaft = {
    Consenters: [
      { Host: '127.0.0.1', Port: layout.orderer.port, ClientTLSCert: ordererNode.tlsCertificatePath, ServerTLSCert: ordererNode.tlsCertificatePath },
    ],
    // A one-node cluster elects itself after ElectionTick ticks: short ticks make the channel usable sooner.
    Options: { ...(sample.Orderer?.EtcdRaft?.Options ?? {}), TickInterval: '100ms' },
  };
  ordererSection.Organizations = [orderer];
  ordererSection.Capabilities = capabilities.Orderer ?? { V2_0: true };

  const channel: Yaml = { ...(sample.Channel ?? {}) };
  channel.Capabilities = capabilities.Channel ?? { V2_0: true };

  const doc: Yaml = {
    Organizations: [orderer, ...organisations],
    Capabilities: capabilities,
    Profiles: { [PROFILE]: { ...channel, Orderer: ordererSection, Application: application } },
  };
  const file = path.join(layout.configDir, 'configtx.yaml');
  await writeYaml(file, doc, `Generated by licensechain network up from ${path.join(fabricConfigDir, 'configtx.yaml')}`);
  return file;
}

/** The orderer's orderer.yaml (in its FABRIC_CFG_PATH). */
export async function writeOrdererYaml(layout: NetworkLayout, consortium: Consortium, fabricConfigDir: string): Promise<string> {
  const doc = await readSample(fabricConfigDir, 'orderer.yaml');
  const node = layout.orderer;
  const member = findMember(consortium, node.mspId, node.name);
  const org = findOrganisation(consortium, node.mspId);
  const tlsCa = path.join(member.tlsDir, 'ca.crt');

  const general = section(doc, 'General');
  general.ListenAddress = '127.0.0.1';
  general.ListenPort = node.port;
  general.TLS = { ...(general.TLS ?? {}), Enabled: true, PrivateKey: member.tlsPrivateKeyPath, Certificate: member.tlsCertificatePath, RootCAs: [tlsCa], ClientAuthRequired: false, ClientRootCAs: [] };
  general.Cluster = { ...(general.Cluster ?? {}), ClientCertificate: member.tlsCertificatePath, ClientPrivateKey: member.tlsPrivateKeyPath, RootCAs: [tlsCa] };
  general.BootstrapMethod = 'none';
  general.BootstrapFile = '';
  general.LocalMSPDir = member.mspDir;
  general.LocalMSPID = node.mspId;
  section(doc, 'FileLedger').Location = path.join(node.dataDir, 'ledger');
  const consensus = section(doc, 'Consensus');
  consensus.WALDir = path.join(node.dataDir, 'etcdraft', 'wal');
  consensus.SnapDir = path.join(node.dataDir, 'etcdraft', 'snapshot');
  doc.Operations = { ...(doc.Operations ?? {}), ListenAddress: endpoint(node.operationsPort), TLS: { Enabled: true, Certificate: member.tlsCertificatePath, PrivateKey: member.tlsPrivateKeyPath, ClientAuthRequired: false, ClientRootCAs: [org.tlsCaCertificatePath] } };
  doc.Metrics = { ...(doc.Metrics ?? {}), Provider: 'prometheus' };
  // Channel participation: osnadmin over mutual TLS, clients certified by OrdererMSP's TLS CA.
  doc.Admin = { ...(doc.Admin ?? {}), ListenAddress: endpoint(node.adminPort), TLS: { Enabled: true, Certificate: member.tlsCertificatePath, PrivateKey: member.tlsPrivateKeyPath, ClientAuthRequired: true, ClientRootCAs: [org.tlsCaCertificatePath] } };
  doc.ChannelParticipation = { ...(doc.ChannelParticipation ?? {}), Enabled: true };
  delete doc.Kafka;
  const file = path.join(node.configDir, 'orderer.yaml');
  await writeYaml(file, doc, `Generated by licensechain network up from ${path.join(fabricConfigDir, 'orderer.yaml')}`);
  return file;
}

/** A peer's core.yaml (in its FABRIC_CFG_PATH). */
export async function writeCoreYaml(layout: NetworkLayout, peer: PeerNode, consortium: Consortium, fabricConfigDir: string): Promise<string> {
  const doc = await readSample(fabricConfigDir, 'core.yaml');
  const member: ConsortiumMember = findMember(consortium, peer.mspId, peer.name);
  const tlsCa = path.join(member.tlsDir, 'ca.crt');
  const self = endpoint(peer.port);

  const p = section(doc, 'peer');
  p.id = peer.name;
  p.networkId = 'licensechain';
  p.listenAddress = self;
  p.address = self;
  p.addressAutoDetect = false;
  p.chaincodeListenAddress = endpoint(peer.chaincodePort);
  p.chaincodeAddress = endpoint(peer.chaincodePort);
  p.fileSystemPath = peer.dataDir;
  p.mspConfigPath = member.mspDir;
  p.localMspId = peer.mspId;
  section(p, 'gateway').enabled = true;
  const gossip = section(p, 'gossip');
  gossip.bootstrap = self;
  gossip.endpoint = '';
  gossip.externalEndpoint = self; // what other organisations' peers (and discovery) are told
  gossip.useLeaderElection = false;
  gossip.orgLeader = true; // one peer per organisation: it pulls blocks from the orderer itself
  // Cross-organisation membership: Fabric retries a lost or not yet reachable peer every 25 s,
  // so a fresh network would wait that long before both organisations can endorse.
  gossip.reconnectInterval = '2s';
  gossip.aliveTimeInterval = '2s';
  gossip.aliveExpirationTimeout = '10s';
  p.tls = {
    ...(p.tls ?? {}),
    enabled: true,
    clientAuthRequired: false,
    cert: { file: member.tlsCertificatePath },
    key: { file: member.tlsPrivateKeyPath },
    rootcert: { file: tlsCa },
    clientRootCAs: { files: [tlsCa] },
    clientKey: { file: '' },
    clientCert: { file: '' },
  };
  section(p, 'discovery').enabled = true;

  // No Docker: chaincode runs as a service, reached through the ccaas external builder.
  section(doc, 'vm').endpoint = '';
  const chaincode = section(doc, 'chaincode');
  chaincode.externalBuilders = [{ name: 'ccaas', path: ccaasBuilderDir(), propagateEnvironment: ['CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'] }];

  const ledger = section(doc, 'ledger');
  section(ledger, 'state').stateDatabase = 'goleveldb';
  section(ledger, 'history').enableHistoryDatabase = true;
  section(ledger, 'snapshots').rootDir = path.join(peer.dataDir, 'snapshots');

  doc.operations = {
    ...(doc.operations ?? {}),
    listenAddress: endpoint(peer.operationsPort),
    // /healthz is open; /metrics and /logspec want a client certificate of the organisation's TLS CA.
    tls: { enabled: true, cert: { file: member.tlsCertificatePath }, key: { file: member.tlsPrivateKeyPath }, clientAuthRequired: false, clientRootCAs: { files: [tlsCa] } },
  };
  doc.metrics = { ...(doc.metrics ?? {}), provider: 'prometheus' };
  const file = path.join(peer.configDir, 'core.yaml');
  await writeYaml(file, doc, `Generated by licensechain network up from ${path.join(fabricConfigDir, 'core.yaml')}`);
  return file;
}

/** Every configuration file of the network. */
export async function writeNetworkConfig(layout: NetworkLayout, consortium: Consortium, fabricConfigDir: string): Promise<void> {
  await writeConfigtx(layout, consortium, fabricConfigDir);
  await writeOrdererYaml(layout, consortium, fabricConfigDir);
  for (const peer of layout.peers) await writeCoreYaml(layout, peer, consortium, fabricConfigDir);
}
