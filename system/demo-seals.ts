/**
 * The demo seals `npm start` creates once: for each issuing agency an SM2 seal PKI (CA, maker,
 * signer, in the seal keyring) and a GB/T 38540 seal with a picture drawn here, valid two years;
 * then, on the ledger, the agency's issuer applies for it, the authority approves it (备案) and the
 * agency authorises its issuer identity to sign with it. Each step first asks the ledger whether it
 * is already done, so a restart (or a crash half-way) completes what is missing.
 */
import { crc32, deflateSync } from 'node:zlib';
import { EndorseError } from '../ledger/errors';
import { SealKeyring, type KeyringSeal } from '../gateway/seal-keyring';
import type { Principal } from '../service/principal';
import { DEMO_ORGANISATIONS } from './demo-consortium';

const DAY = 86_400_000;
const SEAL_YEARS = 2;

/** The demo seal id of an agency (stable, so a restart finds it). */
export function demoSealId(mspId: string): string {
  return `${mspId}.seal-1`;
}

/** A red ring on a transparent square, `size` pixels wide: a recognisable seal picture. */
export function sealPicturePng(size = 96): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const centre = (size - 1) / 2;
  const outer = size / 2 - 1;
  const inner = outer - Math.max(2, Math.round(size / 16));
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA pixels
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - centre, y - centre);
      // The ring, plus a small star-like dot in the middle.
      if ((r <= outer && r >= inner) || r <= size / 10) row.set([0xd0, 0x10, 0x10, 0xff], 1 + x * 4);
    }
    rows.push(row);
  }
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(Buffer.concat(rows))),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

async function ledgerRecord<T>(principal: Principal, transaction: string, ...args: string[]): Promise<T | undefined> {
  try {
    return JSON.parse(Buffer.from(await principal.contract.evaluate(transaction, { arguments: args })).toString('utf8')) as T;
  } catch (error) {
    if (error instanceof EndorseError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

interface AuthorizationWindow {
  readonly notBefore: string;
  readonly notAfter: string;
  readonly revokedAt: string | null;
}

/**
 * Makes (or completes) each issuing agency's demo seal, on disk and on the ledger.
 * @param principals every principal by name; an agency's first `issuer` applies and authorises.
 */
export async function ensureDemoSeals(keyring: SealKeyring, principals: ReadonlyMap<string, Principal>, admin: Principal): Promise<KeyringSeal[]> {
  const seals: KeyringSeal[] = [];
  for (const org of DEMO_ORGANISATIONS.filter((o) => o.roles.includes('issuer'))) {
    const issuer = [...principals.values()].find((p) => p.mspId === org.mspId && p.role === 'issuer');
    if (!issuer) continue;
    const sealId = demoSealId(org.mspId);
    let seal = keyring.get(sealId);
    if (!seal) {
      const now = Date.now();
      const prepared = await keyring.prepare({
        ownerMsp: org.mspId,
        orgName: org.name,
        sealId,
        name: `${org.name}电子证照专用章`,
        kind: '业务专用章',
        format: 'GBT38540',
        validStart: new Date(now - 60_000),
        validEnd: new Date(now + SEAL_YEARS * 365 * DAY),
        picture: sealPicturePng(),
      });
      seal = await keyring.commit(prepared);
    }
    seals.push(seal);

    let record = await ledgerRecord<{ status: string }>(issuer, 'seal:GetSeal', sealId);
    if (!record) {
      await issuer.contract.submit('seal:Apply', { arguments: [JSON.stringify(SealKeyring.applyInput(seal))] });
      record = { status: 'APPLIED' };
    }
    if (record.status === 'APPLIED') await admin.contract.submit('seal:Approve', { arguments: [sealId] });

    const authorizations = (await ledgerRecord<Array<{ subject: string; windows: AuthorizationWindow[] }>>(issuer, 'seal:ListAuthorizations', sealId)) ?? [];
    const now = Date.now();
    const current = authorizations
      .find((a) => a.subject === issuer.identityId)
      ?.windows.some((w) => w.revokedAt === null && Date.parse(w.notAfter) > now);
    if (!current) {
      await issuer.contract.submit('seal:Authorize', {
        arguments: [JSON.stringify({ sealId, subject: issuer.identityId, notBefore: new Date(now).toISOString(), notAfter: seal.validEnd })],
      });
    }
  }
  return seals;
}
