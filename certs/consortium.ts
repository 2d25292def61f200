/**
 * A whole consortium's crypto material from one spec, laid out like cryptogen's output so that
 * Fabric's binaries, the gateways and the embedded ledger can all read it:
 *
 * ```
 * <outDir>/organizations/<mspId>/
 *   ca/<ca CN>-cert.pem, ca/priv_sk          the organisation's root CA (signs identities)
 *   tlsca/<tlsca CN>-cert.pem, tlsca/priv_sk the organisation's TLS root CA
 *   msp/                                     the channel MSP definition: cacerts/, tlscacerts/,
 *                                            config.yaml (NodeOUs) — certificates only, no keys
 *   users/<name>/msp/                        a member's local MSP (signcerts/cert.pem, keystore/priv_sk, …)
 *   users/<name>/tls/                        ca.crt, client.crt, client.key
 *   peers/<peer>/msp/, peers/<peer>/tls/     OU=peer identity; TLS server.crt/.key (server + client auth)
 *   orderers/<orderer>/msp/, …/tls/          OU=orderer identity; TLS as peers
 * ```
 *
 * Enrolment certificates carry Fabric CA's attribute extension (hf.EnrollmentID, hf.Type,
 * hf.Affiliation, plus `lc.role` and any spec attributes), as if enrolled by a Fabric CA.
 * Node TLS certificates name the node, `localhost`, `127.0.0.1` and `::1`, for loopback networks.
 *
 * Idempotent and resumable: what exists is reused, never regenerated; what is missing is
 * created. Each CA, MSP and member folder is built in a temporary folder and renamed into place,
 * so an interrupted run leaves whole folders only. An existing member whose certificate no longer
 * matches the spec (another OU or attributes) or the organisation's CA is a conflict: remove its
 * folder to reissue it.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CertificateAuthority, mspLabel } from './certificate-authority';
import { parseCertificate } from './certificate-info';
import type { Credentials, NodeOU } from './credentials';
import { isNodeOU } from './credentials';
import { CertsErrorCode, certsError } from './errors';
import { defaultFabricAttributes, RESERVED_FABRIC_ATTRS } from './fabric-attributes';
import { certificateFileName, loadCaDir, loadCredentials, MSP_PATHS, tlsPaths, writeCaDir, writeMsp, writeTls } from './msp-layout';

/** One identity of an organisation in a {@link ConsortiumSpec}. */
export interface IdentitySpec {
  /** Subject CN and folder name: letters, digits, `.`, `_`, `@`, `-`. */
  readonly name: string;
  /** LicenseChain role, written as the `lc.role` attribute (admin, issuer, verifier, portal, auditor). */
  readonly role?: string;
  /** NodeOU classification; default `client`. */
  readonly nodeOU?: NodeOU;
  /** Further Fabric CA attributes. */
  readonly attrs?: Readonly<Record<string, string>>;
}

/** One organisation in a {@link ConsortiumSpec}. */
export interface OrganisationSpec {
  /** MSP ID, also the folder name. */
  readonly mspId: string;
  /** Organisation name (subject O). */
  readonly name: string;
  readonly identities: readonly IdentitySpec[];
  /** Peer host names, e.g. `peer0.org1.example.com`. */
  readonly peers?: readonly string[];
  /** Orderer host names. */
  readonly orderers?: readonly string[];
}

/** Input of {@link createConsortium}. */
export interface ConsortiumSpec {
  readonly organisations: readonly OrganisationSpec[];
}

/** Where a member's (user's, peer's or orderer's) material lives, and what it says. */
export interface ConsortiumMember {
  readonly name: string;
  readonly kind: 'user' | 'peer' | 'orderer';
  readonly nodeOU: NodeOU;
  /** The `lc.role` attribute, if any. */
  readonly role: string | undefined;
  /** All Fabric CA attributes of its certificate (hf.* included). */
  readonly attrs: Readonly<Record<string, string>>;
  /** fabric-shim's `ClientIdentity.getID()` for this member. */
  readonly clientId: string;
  readonly dir: string;
  readonly mspDir: string;
  readonly tlsDir: string;
  readonly certificatePath: string;
  readonly privateKeyPath: string;
  readonly tlsCertificatePath: string;
  readonly tlsPrivateKeyPath: string;
}

/** Where an organisation's material lives, with its CA certificates. */
export interface ConsortiumOrganisation {
  readonly mspId: string;
  readonly name: string;
  readonly dir: string;
  /** The channel MSP definition (no keys). */
  readonly mspDir: string;
  readonly caDir: string;
  readonly tlsCaDir: string;
  readonly caCertificatePath: string;
  readonly tlsCaCertificatePath: string;
  /** Root CA certificate, PEM. */
  readonly caCertificate: string;
  /** TLS root CA certificate, PEM. */
  readonly tlsCaCertificate: string;
  readonly users: readonly ConsortiumMember[];
  readonly peers: readonly ConsortiumMember[];
  readonly orderers: readonly ConsortiumMember[];
}

/** A consortium on disk. */
export interface Consortium {
  /** Absolute path of the consortium folder. */
  readonly dir: string;
  /** Organisations, sorted by MSP ID. */
  readonly organisations: readonly ConsortiumOrganisation[];
  /** Folders this call created (empty when everything was reused or merely loaded). */
  readonly created: readonly string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
const KIND_DIRS = { user: 'users', peer: 'peers', orderer: 'orderers' } as const;

interface MemberPlan {
  readonly name: string;
  readonly kind: ConsortiumMember['kind'];
  readonly nodeOU: NodeOU;
  readonly attrs: Readonly<Record<string, string>>;
}

function invalid(message: string): never {
  throw certsError(CertsErrorCode.INVALID_ARGUMENT, `consortium spec: ${message}`);
}

/** Validates a spec and plans each organisation's members. */
function plan(spec: ConsortiumSpec): Array<{ org: OrganisationSpec; members: MemberPlan[] }> {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.organisations) || spec.organisations.length === 0) {
    invalid('organisations must be a non-empty array');
  }
  const mspIds = new Set<string>();
  return spec.organisations.map((org, i) => {
    if (typeof org !== 'object' || org === null) invalid(`organisations[${i}] must be an object`);
    if (typeof org.mspId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(org.mspId)) invalid(`organisations[${i}].mspId is missing or malformed`);
    if (mspIds.has(org.mspId)) invalid(`MSP ID ${org.mspId} appears twice`);
    mspIds.add(org.mspId);
    if (typeof org.name !== 'string' || org.name.trim() === '') invalid(`${org.mspId}.name is missing`);
    if (!Array.isArray(org.identities)) invalid(`${org.mspId}.identities must be an array`);
    const names = new Set<string>();
    const members: MemberPlan[] = [];
    const claim = (kind: string, name: unknown, pattern: RegExp): string => {
      if (typeof name !== 'string' || !pattern.test(name)) invalid(`${org.mspId}: ${kind} name ${JSON.stringify(name)} is malformed`);
      const key = `${kind}:${name}`;
      if (names.has(key)) invalid(`${org.mspId}: ${kind} ${name} appears twice`);
      names.add(key);
      return name;
    };
    for (const id of org.identities) {
      if (typeof id !== 'object' || id === null) invalid(`${org.mspId}: every identity must be an object`);
      const name = claim('identity', id.name, NAME);
      const nodeOU = id.nodeOU ?? 'client';
      if (!isNodeOU(nodeOU)) invalid(`${org.mspId}/${name}: nodeOU must be client, peer, orderer or admin`);
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(id.attrs ?? {})) {
        if (typeof v !== 'string') invalid(`${org.mspId}/${name}: attribute ${k} must be a string`);
        if (RESERVED_FABRIC_ATTRS.includes(k)) invalid(`${org.mspId}/${name}: attribute ${k} is fixed by Fabric CA`);
        attrs[k] = v;
      }
      if (id.role !== undefined) {
        if (typeof id.role !== 'string' || id.role === '') invalid(`${org.mspId}/${name}: role must be a non-empty string`);
        if (attrs['lc.role'] !== undefined && attrs['lc.role'] !== id.role) invalid(`${org.mspId}/${name}: role and attrs['lc.role'] disagree`);
        attrs['lc.role'] = id.role;
      }
      members.push({ name, kind: 'user', nodeOU, attrs });
    }
    for (const kind of ['peer', 'orderer'] as const) {
      const hosts = (kind === 'peer' ? org.peers : org.orderers) ?? [];
      if (!Array.isArray(hosts)) invalid(`${org.mspId}.${kind}s must be an array of host names`);
      for (const host of hosts) members.push({ name: claim(kind, host, HOST), kind, nodeOU: kind, attrs: {} });
    }
    return { org, members };
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Builds `target` through `build(tmp)` in a sibling temporary folder, then renames it into place.
 * The folder keeps mkdtemp's 0700 when it holds keys; a certificates-only folder is opened to 0755.
 */
async function buildAtomically(target: string, build: (tmp: string) => Promise<void>, holdsKeys = true): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = await mkdtemp(path.join(path.dirname(target), `.${path.basename(target)}.tmp-`));
  try {
    if (!holdsKeys) await chmod(tmp, 0o755);
    await build(tmp);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function ensureCa(dir: string, mspId: string, organisation: string, prefix: 'ca' | 'tlsca', created: string[]): Promise<CertificateAuthority> {
  if (await exists(dir)) {
    const existing = await loadCaDir(dir, mspId);
    if (existing.organisation !== organisation) {
      throw certsError(CertsErrorCode.CONFLICT, `${dir} belongs to organisation ${JSON.stringify(existing.organisation)}, the spec names ${JSON.stringify(organisation)}`);
    }
    return existing;
  }
  const ca = await CertificateAuthority.create({ mspId, organisation, commonName: `${prefix}.${mspLabel(mspId)}` });
  await buildAtomically(dir, (tmp) => writeCaDir(tmp, ca));
  created.push(dir);
  return ca;
}

function sameAttrs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Reuses a member folder after checking it against the plan and the CA, or creates it. */
async function ensureMember(orgDir: string, ca: CertificateAuthority, tlsCa: CertificateAuthority, m: MemberPlan, created: string[]): Promise<void> {
  const dir = path.join(orgDir, KIND_DIRS[m.kind], m.name);
  const expected = { ...defaultFabricAttributes(m.name, m.nodeOU), ...m.attrs };
  if (await exists(dir)) {
    const creds = await loadCredentials(path.join(dir, 'msp'), ca.mspId);
    const info = parseCertificate(creds.certificate);
    const where = `${ca.mspId}/${KIND_DIRS[m.kind]}/${m.name}`;
    if (!new X509Certificate(creds.certificate).verify(new X509Certificate(ca.certificate).publicKey)) {
      throw certsError(CertsErrorCode.CONFLICT, `${where} was not issued by the organisation's current CA; remove ${dir} to reissue it`);
    }
    if (info.nodeOU !== m.nodeOU || !sameAttrs(info.attrs, expected)) {
      throw certsError(CertsErrorCode.CONFLICT, `${where} exists with OU ${String(info.nodeOU)} and attributes ${JSON.stringify(info.attrs)}, the spec asks for OU ${m.nodeOU} and ${JSON.stringify(expected)}; remove ${dir} to reissue it`);
    }
    return;
  }
  const identity = await ca.issueIdentity({ commonName: m.name, nodeOU: m.nodeOU, attrs: m.attrs });
  const tlsKind = m.kind === 'user' ? 'client' : 'server';
  const tls = await tlsCa.issueTls(
    m.kind === 'user'
      ? { commonName: m.name, hosts: [], usage: 'client' }
      : { commonName: m.name, hosts: [...new Set([m.name, 'localhost', '127.0.0.1', '::1'])], usage: 'both' },
  );
  await buildAtomically(dir, async (tmp) => {
    await writeMsp(path.join(tmp, 'msp'), {
      caCertificate: ca.certificate,
      tlsCaCertificate: tlsCa.certificate,
      signCertificate: identity.certificate,
      privateKey: identity.privateKey,
    });
    await writeTls(path.join(tmp, 'tls'), { kind: tlsKind, caCertificate: tlsCa.certificate, certificate: tls.certificate, privateKey: tls.privateKey });
  });
  created.push(dir);
}

/**
 * Creates (or completes) a consortium under `outDir` from `spec`; see the file comment for the
 * layout. Returns the consortium as {@link loadConsortium} would, plus the folders created.
 *
 * @example
 * ```ts
 * const c = await createConsortium('/var/lib/licensechain/crypto', {
 *   organisations: [{ mspId: 'Org1MSP', name: 'Org One', peers: ['peer0.org1'],
 *     identities: [{ name: 'Admin', nodeOU: 'admin', role: 'admin' }, { name: 'issuer1', role: 'issuer' }] }],
 * });
 * const creds = await memberCredentials(c, 'Org1MSP', 'issuer1');
 * ```
 * @throws CodedError `CERTS_INVALID_ARGUMENT` (spec), `CERTS_CONFLICT` (existing material
 *   disagrees with the spec), or a file-system error.
 */
export async function createConsortium(outDir: string, spec: ConsortiumSpec): Promise<Consortium> {
  const plans = plan(spec);
  const dir = path.resolve(outDir);
  const created: string[] = [];
  for (const { org, members } of plans) {
    const orgDir = path.join(dir, 'organizations', org.mspId);
    const ca = await ensureCa(path.join(orgDir, 'ca'), org.mspId, org.name, 'ca', created);
    const tlsCa = await ensureCa(path.join(orgDir, 'tlsca'), org.mspId, org.name, 'tlsca', created);
    const mspDir = path.join(orgDir, 'msp');
    if (!(await exists(mspDir))) {
      await buildAtomically(mspDir, (tmp) => writeMsp(tmp, { caCertificate: ca.certificate, tlsCaCertificate: tlsCa.certificate }), false);
      created.push(mspDir);
    }
    for (const m of members) await ensureMember(orgDir, ca, tlsCa, m, created);
  }
  return { ...(await loadConsortium(dir)), created };
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function loadMember(orgDir: string, kind: ConsortiumMember['kind'], name: string): Promise<ConsortiumMember> {
  const dir = path.join(orgDir, KIND_DIRS[kind], name);
  const mspDir = path.join(dir, 'msp');
  const tlsDir = path.join(dir, 'tls');
  const certificatePath = path.join(mspDir, MSP_PATHS.signCertificate);
  const info = parseCertificate(await readFile(certificatePath, 'utf8'));
  const tlsNames = tlsPaths(kind === 'user' ? 'client' : 'server');
  return {
    name,
    kind,
    nodeOU: info.nodeOU ?? 'client',
    role: info.attrs['lc.role'],
    attrs: info.attrs,
    clientId: info.clientId,
    dir,
    mspDir,
    tlsDir,
    certificatePath,
    privateKeyPath: path.join(mspDir, MSP_PATHS.privateKey),
    tlsCertificatePath: path.join(tlsDir, tlsNames.certificate),
    tlsPrivateKeyPath: path.join(tlsDir, tlsNames.privateKey),
  };
}

/**
 * Reads a consortium created by {@link createConsortium}, from disk alone (the folders are the
 * source of truth; there is no manifest to drift from them).
 * @throws CodedError `CERTS_NOT_FOUND` when there is no consortium or an organisation is
 *   incomplete (run createConsortium again to complete it).
 */
export async function loadConsortium(outDir: string): Promise<Consortium> {
  const dir = path.resolve(outDir);
  const mspIds = await subdirs(path.join(dir, 'organizations'));
  if (mspIds.length === 0) throw certsError(CertsErrorCode.NOT_FOUND, `no consortium in ${dir} (no organizations/*)`);
  const organisations: ConsortiumOrganisation[] = [];
  for (const mspId of mspIds) {
    const orgDir = path.join(dir, 'organizations', mspId);
    const caDir = path.join(orgDir, 'ca');
    const tlsCaDir = path.join(orgDir, 'tlsca');
    const mspDir = path.join(orgDir, 'msp');
    const ca = await readCaCertificate(caDir);
    const tlsCa = await readCaCertificate(tlsCaDir);
    if (!(await exists(mspDir))) throw certsError(CertsErrorCode.NOT_FOUND, `${mspId} is incomplete (no msp/); run createConsortium again`);
    const members = async (kind: ConsortiumMember['kind']) =>
      Promise.all((await subdirs(path.join(orgDir, KIND_DIRS[kind]))).map((name) => loadMember(orgDir, kind, name)));
    organisations.push({
      mspId,
      name: parseCertificate(ca.pem).organisation,
      dir: orgDir,
      mspDir,
      caDir,
      tlsCaDir,
      caCertificatePath: ca.path,
      tlsCaCertificatePath: tlsCa.path,
      caCertificate: ca.pem,
      tlsCaCertificate: tlsCa.pem,
      users: await members('user'),
      peers: await members('peer'),
      orderers: await members('orderer'),
    });
  }
  return { dir, organisations, created: [] };
}

async function readCaCertificate(caDir: string): Promise<{ path: string; pem: string }> {
  const files = (await readdir(caDir).catch(() => [] as string[])).filter((f) => f.endsWith('-cert.pem'));
  const file = files[0];
  if (files.length !== 1 || file === undefined) throw certsError(CertsErrorCode.NOT_FOUND, `${caDir} has no single *-cert.pem; run createConsortium again`);
  const pem = await readFile(path.join(caDir, file), 'utf8');
  if (file !== certificateFileName(pem)) throw certsError(CertsErrorCode.MALFORMED, `${path.join(caDir, file)} is not named after its CN`);
  return { path: path.join(caDir, file), pem };
}

/** The organisation with `mspId`, or a `CERTS_NOT_FOUND` error. */
export function findOrganisation(consortium: Consortium, mspId: string): ConsortiumOrganisation {
  const org = consortium.organisations.find((o) => o.mspId === mspId);
  if (!org) throw certsError(CertsErrorCode.NOT_FOUND, `no organisation ${mspId} in ${consortium.dir}`);
  return org;
}

/** A user, peer or orderer of an organisation by name, or a `CERTS_NOT_FOUND` error. */
export function findMember(consortium: Consortium, mspId: string, name: string): ConsortiumMember {
  const org = findOrganisation(consortium, mspId);
  const member = [...org.users, ...org.peers, ...org.orderers].find((m) => m.name === name);
  if (!member) throw certsError(CertsErrorCode.NOT_FOUND, `no member ${name} in ${mspId}`);
  return member;
}

/** A member's credentials (certificate and key from its MSP folder). */
export async function memberCredentials(consortium: Consortium, mspId: string, name: string): Promise<Credentials> {
  return loadCredentials(findMember(consortium, mspId, name).mspDir, mspId);
}

/** An organisation's root CA (`ca`) or TLS CA (`tlsca`), with its key, to issue more identities. */
export async function organisationCa(consortium: Consortium, mspId: string, which: 'ca' | 'tlsca' = 'ca'): Promise<CertificateAuthority> {
  const org = findOrganisation(consortium, mspId);
  return loadCaDir(which === 'ca' ? org.caDir : org.tlsCaDir, mspId);
}
