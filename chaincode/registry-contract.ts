/**
 * The registry: member organisations (MSP, name, USCC, roles, gateway endpoint, area code) and
 * license types (type code, definer, holder code types, authorised issuers, fields-schema digest).
 * Only admins change it; every change bumps `version` and stays in the key's history.
 *
 * Bootstrap: `Bootstrap` succeeds exactly once, for a caller whose certificate says
 * `lc.role=admin`; its MSP becomes the authority, registered with the admin role. From then on a
 * role counts only if the caller's registered organisation holds it (access.ts).
 */
import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedError } from '../domain/coded-error';
import { HOLDER_CODE_TYPES } from '../domain/holder-code';
import { ROLES, anyRole, authorize, change, forbidden, identity } from './access';
import { LicenseChainContract } from './base-contract';
import { txTime } from './clock';
import { emit } from './events';
import type { BootstrapRecord, LicenseTypeRecord, OrganisationRecord } from './records';
import { OBJECT, answer, deleteKey, getRecord, history, putIndex, putRecord, scanIds, scanRecords } from './state';
import { PATTERNS, S, checkArg, inputParser, object, sortedSet } from './validation';

interface OrganisationInput {
  msp: string;
  name: string;
  code: string;
  roles: string[];
  endpoint?: string;
  areaCode?: string;
}

const organisationSchema = object(
  {
    msp: S.mspId,
    name: S.text(200),
    code: S.uscc,
    roles: { type: 'array', minItems: 1, maxItems: ROLES.length, uniqueItems: true, items: { enum: [...ROLES] } },
    endpoint: { type: 'string', pattern: PATTERNS.endpoint },
    areaCode: S.areaCode,
  },
  ['endpoint', 'areaCode'],
);
const parseOrganisation = inputParser<OrganisationInput>(organisationSchema);

interface LicenseTypeInput {
  typeCode: string;
  name: string;
  definerCode: string;
  holderCodeTypes: string[];
  issuers: string[];
  fieldsSchemaDigest: string;
  active?: boolean;
}

const licenseTypeSchema = object(
  {
    typeCode: S.typeCode,
    name: S.text(200),
    definerCode: S.uscc,
    holderCodeTypes: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      uniqueItems: true,
      items: { enum: Object.keys(HOLDER_CODE_TYPES) },
    },
    issuers: { type: 'array', maxItems: 1000, uniqueItems: true, items: S.mspId },
    fieldsSchemaDigest: S.digest,
    active: { type: 'boolean' },
  },
  ['active'],
);
const parseLicenseType = inputParser<LicenseTypeInput>(licenseTypeSchema);

const AUTHORITY = ['authority'];

@Info({
  title: 'registry',
  description: 'Member organisations and license types of the consortium; admin-only changes, versioned in history',
  version: '1.0.0',
})
export class RegistryContract extends LicenseChainContract {
  constructor() {
    super('registry');
  }

  @Transaction()
  @Returns('string')
  async Bootstrap(ctx: Context): Promise<string> {
    const { mspId, id, claimedRole } = identity(ctx);
    if (claimedRole !== 'admin') throw forbidden('only an lc.role=admin identity may bootstrap the registry');
    const done = await getRecord<BootstrapRecord>(ctx, OBJECT.config, AUTHORITY);
    if (done) throw new CodedError('CONFLICT', `the registry was bootstrapped by ${done.authorityMsp}`);
    const now = txTime(ctx);
    const boot: BootstrapRecord = {
      docType: 'bootstrap',
      authorityMsp: mspId,
      at: now.iso,
      txId: ctx.stub.getTxID(),
      actorId: id,
    };
    const org: OrganisationRecord = {
      docType: 'organisation',
      mspId,
      name: mspId,
      code: null,
      roles: ['admin'],
      endpoint: null,
      areaCode: null,
      authority: true,
      version: 1,
      createdAt: now.iso,
      lastChange: change(ctx, { mspId, id }, 'bootstrap'),
    };
    await putRecord(ctx, OBJECT.config, AUTHORITY, boot);
    await putRecord(ctx, OBJECT.org, [mspId], org);
    emit(ctx, 'RegistryBootstrapped', { mspId });
    return answer(org);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {msp, name, code (USCC), roles[], endpoint?, areaCode?}')
  async RegisterOrganisation(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'register organisations');
    const data = parseOrganisation(input);
    if (await getRecord<OrganisationRecord>(ctx, OBJECT.org, [data.msp])) {
      throw new CodedError('CONFLICT', `organisation ${data.msp} is already registered`);
    }
    await this.#assertCodeFree(ctx, data.code, data.msp);
    const now = txTime(ctx);
    const org: OrganisationRecord = {
      docType: 'organisation',
      mspId: data.msp,
      name: data.name,
      code: data.code,
      roles: sortedSet(data.roles),
      endpoint: data.endpoint ?? null,
      areaCode: data.areaCode ?? null,
      authority: false,
      version: 1,
      createdAt: now.iso,
      lastChange: change(ctx, caller, 'register'),
    };
    await putRecord(ctx, OBJECT.org, [org.mspId], org);
    await putIndex(ctx, OBJECT.orgByCode, [data.code, org.mspId]);
    emit(ctx, 'OrganisationRegistered', { mspId: org.mspId });
    return answer(org);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON {msp, name, code (USCC), roles[], endpoint?, areaCode?}: replaces the record')
  async UpdateOrganisation(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'update organisations');
    const data = parseOrganisation(input);
    const old = await getRecord<OrganisationRecord>(ctx, OBJECT.org, [data.msp]);
    if (!old) throw new CodedError('NOT_FOUND', `organisation ${data.msp} is not registered`);
    if (old.authority && !data.roles.includes('admin')) {
      throw forbidden('the authority organisation keeps the admin role');
    }
    if (old.code !== data.code) {
      await this.#assertCodeFree(ctx, data.code, data.msp);
      if (old.code) await deleteKey(ctx, OBJECT.orgByCode, [old.code, old.mspId]);
      await putIndex(ctx, OBJECT.orgByCode, [data.code, old.mspId]);
    }
    const org: OrganisationRecord = {
      ...old,
      name: data.name,
      code: data.code,
      roles: sortedSet(data.roles),
      endpoint: data.endpoint ?? null,
      areaCode: data.areaCode ?? null,
      version: old.version + 1,
      lastChange: change(ctx, caller, 'update'),
    };
    await putRecord(ctx, OBJECT.org, [org.mspId], org);
    emit(ctx, 'OrganisationUpdated', { mspId: org.mspId, version: org.version });
    return answer(org);
  }

  @Transaction(false)
  @Returns('string')
  @Param('mspId', 'string', 'MSP id of the organisation')
  async GetOrganisation(ctx: Context, mspId: string): Promise<string> {
    await anyRole(ctx, 'read organisations');
    checkArg(mspId, PATTERNS.mspId, 'mspId');
    const org = await getRecord<OrganisationRecord>(ctx, OBJECT.org, [mspId]);
    if (!org) throw new CodedError('NOT_FOUND', `organisation ${mspId} is not registered`);
    return answer(org);
  }

  @Transaction(false)
  @Returns('string')
  async ListOrganisations(ctx: Context): Promise<string> {
    await anyRole(ctx, 'list organisations');
    return answer(await scanRecords<OrganisationRecord>(ctx, OBJECT.org, []));
  }

  @Transaction(false)
  @Returns('string')
  @Param('mspId', 'string', 'MSP id of the organisation')
  async GetOrganisationHistory(ctx: Context, mspId: string): Promise<string> {
    await authorize(ctx, ['admin', 'auditor'], 'read registry history');
    checkArg(mspId, PATTERNS.mspId, 'mspId');
    return answer(await history<OrganisationRecord>(ctx, OBJECT.org, [mspId]));
  }

  @Transaction()
  @Returns('string')
  @Param(
    'input',
    'string',
    'JSON {typeCode (21 chars), name, definerCode (USCC = first 18 chars of typeCode), holderCodeTypes[], issuers[] (MSP ids), fieldsSchemaDigest, active?}',
  )
  async RegisterLicenseType(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'register license types');
    const data = parseLicenseType(input);
    await this.#checkLicenseType(ctx, data);
    if (await getRecord<LicenseTypeRecord>(ctx, OBJECT.type, [data.typeCode])) {
      throw new CodedError('CONFLICT', `license type ${data.typeCode} is already registered`);
    }
    const now = txTime(ctx);
    const type: LicenseTypeRecord = {
      docType: 'licenseType',
      typeCode: data.typeCode,
      name: data.name,
      definerCode: data.definerCode,
      holderCodeTypes: sortedSet(data.holderCodeTypes),
      issuers: sortedSet(data.issuers),
      fieldsSchemaDigest: data.fieldsSchemaDigest,
      active: data.active ?? true,
      version: 1,
      createdAt: now.iso,
      lastChange: change(ctx, caller, 'register'),
    };
    await putRecord(ctx, OBJECT.type, [type.typeCode], type);
    emit(ctx, 'LicenseTypeRegistered', { typeCode: type.typeCode });
    return answer(type);
  }

  @Transaction()
  @Returns('string')
  @Param('input', 'string', 'JSON as RegisterLicenseType: replaces the record (active: false retires the type)')
  async UpdateLicenseType(ctx: Context, input: string): Promise<string> {
    const caller = await authorize(ctx, ['admin'], 'update license types');
    const data = parseLicenseType(input);
    await this.#checkLicenseType(ctx, data);
    const old = await getRecord<LicenseTypeRecord>(ctx, OBJECT.type, [data.typeCode]);
    if (!old) throw new CodedError('NOT_FOUND', `license type ${data.typeCode} is not registered`);
    const type: LicenseTypeRecord = {
      ...old,
      name: data.name,
      holderCodeTypes: sortedSet(data.holderCodeTypes),
      issuers: sortedSet(data.issuers),
      fieldsSchemaDigest: data.fieldsSchemaDigest,
      active: data.active ?? old.active,
      version: old.version + 1,
      lastChange: change(ctx, caller, 'update'),
    };
    await putRecord(ctx, OBJECT.type, [type.typeCode], type);
    emit(ctx, 'LicenseTypeUpdated', { typeCode: type.typeCode, version: type.version });
    return answer(type);
  }

  @Transaction(false)
  @Returns('string')
  @Param('typeCode', 'string', '21-character license type code')
  async GetLicenseType(ctx: Context, typeCode: string): Promise<string> {
    await anyRole(ctx, 'read license types');
    checkArg(typeCode, PATTERNS.typeCode, 'typeCode');
    const type = await getRecord<LicenseTypeRecord>(ctx, OBJECT.type, [typeCode]);
    if (!type) throw new CodedError('NOT_FOUND', `license type ${typeCode} is not registered`);
    return answer(type);
  }

  @Transaction(false)
  @Returns('string')
  async ListLicenseTypes(ctx: Context): Promise<string> {
    await anyRole(ctx, 'list license types');
    return answer(await scanRecords<LicenseTypeRecord>(ctx, OBJECT.type, []));
  }

  @Transaction(false)
  @Returns('string')
  @Param('typeCode', 'string', '21-character license type code')
  async GetLicenseTypeHistory(ctx: Context, typeCode: string): Promise<string> {
    await authorize(ctx, ['admin', 'auditor'], 'read registry history');
    checkArg(typeCode, PATTERNS.typeCode, 'typeCode');
    return answer(await history<LicenseTypeRecord>(ctx, OBJECT.type, [typeCode]));
  }

  async #assertCodeFree(ctx: Context, code: string, mspId: string): Promise<void> {
    const holders = (await scanIds(ctx, OBJECT.orgByCode, [code])).filter((m) => m !== mspId);
    if (holders.length > 0) {
      throw new CodedError('CONFLICT', `code ${code} already belongs to organisation ${holders[0] as string}`);
    }
  }

  async #checkLicenseType(ctx: Context, data: LicenseTypeInput): Promise<void> {
    if (data.typeCode.slice(0, 18) !== data.definerCode) {
      throw new CodedError('VALIDATION_FAILED', 'typeCode must start with the definer\'s USCC (definerCode)');
    }
    for (const msp of sortedSet(data.issuers)) {
      const org = await getRecord<OrganisationRecord>(ctx, OBJECT.org, [msp]);
      if (!org) throw new CodedError('VALIDATION_FAILED', `issuer ${msp} is not a registered organisation`);
      if (!org.roles.includes('issuer')) {
        throw new CodedError('VALIDATION_FAILED', `organisation ${msp} does not hold the issuer role`);
      }
      if (!org.code) throw new CodedError('VALIDATION_FAILED', `organisation ${msp} has no USCC recorded`);
    }
  }
}
