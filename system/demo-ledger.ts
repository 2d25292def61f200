/**
 * Puts the demo consortium on a fresh ledger, once: the authority bootstraps the registry and
 * registers the other organisations and a license type per issuing agency. Each step first asks
 * the ledger whether it is already done, so a restart (or a crash half-way) simply completes it.
 */
import { EndorseError } from '../ledger/errors';
import type { Principal } from '../service/principal';
import { canonicalJson } from '../domain/canonical-json';
import { digestOf } from '../domain/digest';
import { DEMO_ORGANISATIONS } from './demo-consortium';

export interface DemoLicenseType {
  readonly typeCode: string;
  readonly name: string;
  readonly definerCode: string;
  readonly holderCodeTypes: readonly string[];
  readonly issuers: readonly string[];
  readonly fieldsSchema: Record<string, unknown>;
}

const agencyA = DEMO_ORGANISATIONS.find((o) => o.mspId === 'AgencyAMSP')!;
const agencyB = DEMO_ORGANISATIONS.find((o) => o.mspId === 'AgencyBMSP')!;

export const DEMO_LICENSE_TYPES: readonly DemoLicenseType[] = [
  {
    typeCode: `${agencyA.code}001`,
    name: '食品经营许可证',
    definerCode: agencyA.code,
    holderCodeTypes: ['001'],
    issuers: ['AgencyAMSP'],
    fieldsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['经营场所', '主体业态'],
      properties: {
        经营场所: { type: 'string', minLength: 1, maxLength: 200 },
        主体业态: { type: 'string', minLength: 1, maxLength: 100 },
        经营项目: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 50 },
      },
    },
  },
  {
    typeCode: `${agencyB.code}001`,
    name: '建筑施工特种作业操作资格证',
    definerCode: agencyB.code,
    holderCodeTypes: ['111'],
    issuers: ['AgencyBMSP'],
    fieldsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['操作类别'],
      properties: {
        操作类别: { type: 'string', minLength: 1, maxLength: 100 },
        初次领证日期: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
      },
    },
  },
];

export function fieldsSchemaDigest(schema: Record<string, unknown>): string {
  return digestOf(Buffer.from(canonicalJson(schema)), 'sm3');
}

async function exists(principal: Principal, transaction: string, ...args: string[]): Promise<boolean> {
  try {
    await principal.contract.evaluate(transaction, { arguments: args });
    return true;
  } catch (error) {
    if (error instanceof EndorseError && error.code === 'NOT_FOUND') return false;
    throw error;
  }
}

/** Registers the demo organisations and license types, skipping what the ledger already has. */
export async function ensureDemoLedger(admin: Principal): Promise<void> {
  try {
    await admin.contract.submit('registry:Bootstrap');
  } catch (error) {
    // Bootstrapped before: the registry answers CONFLICT and names the authority.
    if (!(error instanceof EndorseError && error.code === 'CONFLICT')) throw error;
  }
  for (const org of DEMO_ORGANISATIONS) {
    const input = canonicalJson({ msp: org.mspId, name: org.name, code: org.code, roles: [...org.roles], areaCode: org.areaCode });
    if (org.mspId === admin.mspId) {
      // The bootstrap registered the authority without a name and code: complete it once.
      const current = JSON.parse(Buffer.from(await admin.contract.evaluate('registry:GetOrganisation', { arguments: [org.mspId] })).toString()) as { code: string | null };
      if (current.code === null) await admin.contract.submit('registry:UpdateOrganisation', { arguments: [input] });
    } else if (!(await exists(admin, 'registry:GetOrganisation', org.mspId))) {
      await admin.contract.submit('registry:RegisterOrganisation', { arguments: [input] });
    }
  }
  for (const type of DEMO_LICENSE_TYPES) {
    if (await exists(admin, 'registry:GetLicenseType', type.typeCode)) continue;
    const { fieldsSchema, ...rest } = type;
    await admin.contract.submit('registry:RegisterLicenseType', {
      arguments: [canonicalJson({ ...rest, holderCodeTypes: [...rest.holderCodeTypes], issuers: [...rest.issuers], fieldsSchemaDigest: fieldsSchemaDigest(fieldsSchema) })],
    });
  }
}
