/**
 * The demo consortium `npm start` creates once (api.md "Demo credentials"): a data authority, two
 * issuing agencies, a one-stop portal, a relying agency and an auditor, each an organisation
 * (MSP) with its CA and one identity per principal; bearer tokens for each principal; the
 * consortium key for holder references. A restart reuses everything that exists.
 *
 * Files (under the data folder):
 * - `consortium/`            the PKI in Fabric's MSP layout (certs/consortium.ts)
 * - `demo/credentials.json`  gateway and verifier URLs and each principal's token (0600; demo only)
 * - `system/principals.json` principal → organisation, role, identity, SHA-256 of its token
 * - `secrets/holder-key`     the HMAC-SM3 key for holder references (0600)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createConsortium, type Consortium, type ConsortiumSpec } from '../certs/consortium';
import { usccCheckCharacter } from '../domain/holder-code';
import { hashToken } from '../service/principal';

export interface DemoOrganisation {
  readonly mspId: string;
  readonly name: string;
  /** USCC (统一社会信用代码). */
  readonly code: string;
  readonly roles: readonly string[];
  readonly areaCode: string;
}

export interface DemoPrincipal {
  readonly name: string;
  readonly mspId: string;
  readonly role: string;
}

/** A USCC with a correct check character, from its first 17 characters. */
function uscc(first17: string): string {
  return `${first17}${usccCheckCharacter(first17)}`;
}

export const DEMO_ORGANISATIONS: readonly DemoOrganisation[] = [
  { mspId: 'AuthorityMSP', name: '上海市数据局', code: uscc('11310000MB2F31872'), roles: ['admin'], areaCode: '310000' },
  { mspId: 'AgencyAMSP', name: '上海市市场监督管理局', code: uscc('11310000002416284'), roles: ['issuer', 'verifier'], areaCode: '310000' },
  { mspId: 'AgencyBMSP', name: '上海市住房和城乡建设管理委员会', code: uscc('11310000002417658'), roles: ['issuer', 'verifier'], areaCode: '310000' },
  { mspId: 'PortalMSP', name: '上海市一网通办平台', code: uscc('12310000MB2F31960'), roles: ['portal'], areaCode: '310000' },
  { mspId: 'VerifierMSP', name: '上海市人力资源和社会保障局', code: uscc('11310000002421293'), roles: ['verifier'], areaCode: '310000' },
  { mspId: 'AuditMSP', name: '上海市审计局', code: uscc('11310000002420936'), roles: ['auditor'], areaCode: '310000' },
];

export const DEMO_PRINCIPALS: readonly DemoPrincipal[] = [
  { name: 'admin', mspId: 'AuthorityMSP', role: 'admin' },
  { name: 'issuerA', mspId: 'AgencyAMSP', role: 'issuer' },
  { name: 'issuerB', mspId: 'AgencyBMSP', role: 'issuer' },
  { name: 'portal', mspId: 'PortalMSP', role: 'portal' },
  { name: 'verifier', mspId: 'VerifierMSP', role: 'verifier' },
  { name: 'auditor', mspId: 'AuditMSP', role: 'auditor' },
];

export interface PrincipalEntry extends DemoPrincipal {
  readonly tokenHash: string;
}

export interface DemoMaterial {
  readonly consortium: Consortium;
  readonly principals: readonly PrincipalEntry[];
  readonly holderKey: Buffer;
  readonly credentialsPath: string;
}

function writeSecret(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, data, { mode: 0o600 });
}

/**
 * Creates (or reuses) the demo consortium under `dataDir` (or in `consortiumDir`: a Fabric
 * network's, which has the same organisations and principals plus its nodes) and writes the
 * credentials file.
 */
export async function ensureDemoConsortium(dataDir: string, urls: { gateway: string; verifier: string }, options: { consortiumDir?: string } = {}): Promise<DemoMaterial> {
  const spec: ConsortiumSpec = {
    organisations: DEMO_ORGANISATIONS.map((org) => ({
      mspId: org.mspId,
      name: org.name,
      identities: DEMO_PRINCIPALS.filter((p) => p.mspId === org.mspId).map((p) => ({ name: p.name, role: p.role })),
    })),
  };
  const consortium = await createConsortium(options.consortiumDir ?? join(dataDir, 'consortium'), spec);

  const holderKeyPath = join(dataDir, 'secrets', 'holder-key');
  if (!existsSync(holderKeyPath)) writeSecret(holderKeyPath, randomBytes(32).toString('hex'));
  const holderKey = Buffer.from(readFileSync(holderKeyPath, 'utf8').trim(), 'hex');

  const principalsPath = join(dataDir, 'system', 'principals.json');
  const credentialsPath = join(dataDir, 'demo', 'credentials.json');
  let principals: PrincipalEntry[];
  if (existsSync(principalsPath) && existsSync(credentialsPath)) {
    principals = JSON.parse(readFileSync(principalsPath, 'utf8')) as PrincipalEntry[];
  } else {
    const tokens = new Map(DEMO_PRINCIPALS.map((p) => [p.name, `lc_${randomBytes(24).toString('base64url')}`]));
    principals = DEMO_PRINCIPALS.map((p) => ({ ...p, tokenHash: hashToken(tokens.get(p.name) as string) }));
    const credentials = {
      gateway: urls.gateway,
      verifier: urls.verifier,
      principals: Object.fromEntries(DEMO_PRINCIPALS.map((p) => [p.name, { org: p.mspId, role: p.role, token: tokens.get(p.name) }])),
    };
    writeSecret(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`);
    writeSecret(principalsPath, `${JSON.stringify(principals, null, 2)}\n`);
  }
  return { consortium, principals, holderKey, credentialsPath };
}
