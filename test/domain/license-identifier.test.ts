import t from 'tap';
import {
  IDENTIFIER_ROOT,
  LICENSE_SERIAL_MAX_LENGTH,
  isLicenseIdentifier,
  makeLicenseIdentifier,
  mod3736CheckCharacter,
  nextVersionIdentifier,
  parseLicenseIdentifier,
} from '../../domain/license-identifier';
import vectors from './vectors/license-identifier.json';
import { throwsCoded } from './assert-coded';

t.test('MOD 37,36 check character known answers', async (t) => {
  for (const { body, check } of vectors.mod3736) t.equal(mod3736CheckCharacter(body), check, body);
  throwsCoded(t, () => mod3736CheckCharacter(''), 'INVALID_IDENTIFIER', 'check character body');
  throwsCoded(t, () => mod3736CheckCharacter('ab'), 'INVALID_IDENTIFIER', 'check character body');
});

t.test('MOD 37,36 detects every single-character substitution', async (t) => {
  const body = '11100000000013338W03211220000013544541J2430599001';
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const full = body + mod3736CheckCharacter(body);
  const valid = (s: string) => mod3736CheckCharacter(s.slice(0, -1)) === s.slice(-1);
  let missedSubstitutions = 0;
  const missedTranspositions: string[] = [];
  for (let i = 0; i < full.length; i++) {
    for (const c of alphabet) {
      if (c !== full[i] && valid(full.slice(0, i) + c + full.slice(i + 1))) missedSubstitutions++;
    }
    const a = full[i] as string;
    const b = full[i + 1];
    if (b !== undefined && a !== b && valid(full.slice(0, i) + b + a + full.slice(i + 2))) missedTranspositions.push(`${i}:${a}${b}`);
  }
  t.equal(missedSubstitutions, 0);
  // A hybrid system catches most adjacent transpositions, not all: on this body, swapping "54" at 35 goes unseen.
  t.same(missedTranspositions, ['35:54']);
});

t.test('valid identifiers parse, rebuild and advance', async (t) => {
  t.equal(IDENTIFIER_ROOT, '1.2.156.3005.2');
  for (const v of vectors.valid) {
    t.same(parseLicenseIdentifier(v.id), v.parts, `parse ${v.id}`);
    t.equal(makeLicenseIdentifier(v.parts), v.id, `make ${v.id}`);
    t.ok(isLicenseIdentifier(v.id));
    if (v.next === null) throwsCoded(t, () => nextVersionIdentifier(v.id), 'INVALID_IDENTIFIER', 'version 999');
    else if (v.next !== undefined) {
      t.equal(nextVersionIdentifier(v.id), v.next, `next of ${v.id}`);
      t.equal(parseLicenseIdentifier(v.next).version, v.parts.version + 1);
    }
  }
});

t.test('invalid identifiers are refused with the part and the reason', async (t) => {
  for (const v of vectors.invalid) {
    throwsCoded(t, () => parseLicenseIdentifier(v.id), 'INVALID_IDENTIFIER', v.reason, JSON.stringify(v.id));
    t.notOk(isLicenseIdentifier(v.id));
  }
  t.notOk(isLicenseIdentifier(undefined as unknown as string));
  throwsCoded(t, () => parseLicenseIdentifier(42 as unknown as string), 'INVALID_IDENTIFIER', 'must be a string');
});

t.test('makeLicenseIdentifier validates its parts', async (t) => {
  const good = { typeCode: '11100000000013338W032', issuerCode: '11220000013544541J', serial: '2430599', version: 1 };
  t.equal(makeLicenseIdentifier({ ...good, version: 42 }).split('.')[8], '042', 'version is zero-padded');
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ version: 0 }, 'version 0'],
    [{ version: 1000 }, 'version 1000'],
    [{ version: 1.5 }, 'version 1.5'],
    [{ version: Number.NaN }, 'version NaN'],
    [{ version: '1' }, 'version 1'],
    [{ typeCode: '11100000000013338W03' }, 'type code'],
    [{ typeCode: '11100000000013338w032' }, 'must be upper case'],
    [{ issuerCode: '11220000013544541' }, 'issuer code'],
    [{ issuerCode: '1122000001354454IJ' }, 'issuer code'],
    [{ serial: '' }, 'serial'],
    [{ serial: 'A'.repeat(LICENSE_SERIAL_MAX_LENGTH + 1) }, 'serial'],
    [{ serial: '24.30599' }, 'serial'],
    [{ serial: 'abc' }, 'must be upper case'],
  ];
  for (const [change, reason] of cases) {
    const parts = { ...good, ...change } as typeof good;
    throwsCoded(t, () => makeLicenseIdentifier(parts), 'INVALID_IDENTIFIER', reason, JSON.stringify(change));
  }
  throwsCoded(t, () => makeLicenseIdentifier(null as unknown as typeof good), 'INVALID_IDENTIFIER', 'object');
});

t.test('a changed segment is caught by the check character', async (t) => {
  const id = vectors.valid[0]?.id as string;
  const parts = parseLicenseIdentifier(id);
  const other = makeLicenseIdentifier({ ...parts, serial: '2430598' });
  const forged = other.slice(0, -1) + id.slice(-1);
  throwsCoded(t, () => parseLicenseIdentifier(forged), 'INVALID_IDENTIFIER', 'check character');
});
