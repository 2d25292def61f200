/**
 * License verification against the real embedded system: every outcome is produced for real —
 * issued through the gateway, then tampered with, suspended, revoked, cancelled, expired, renewed,
 * disputed, its seal suspended — and verified over HTTP.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { licenseDocumentDigest } from '../../domain/license-document';
import { makeLicenseIdentifier } from '../../domain/license-identifier';
import { LedgerUnavailableError } from '../../ledger/errors';
import type { Principal } from '../../service/principal';
import { FunctionMaterialSource } from '../../verifier/material-source';
import { createVerifierApp } from '../../verifier/verifier-app';
import { AGENCY_A, checkOf, licenseInputA, startVerifierSystem, tampered } from './support';

t.test('license verification', async (t) => {
  const sys = await startVerifierSystem(t);

  t.test('a freshly issued license verifies: six checks, all OK, in both languages', async (t) => {
    const issued = await sys.issue(t);
    const res = await sys.verify(issued.document);
    t.equal(res.status, 200);
    t.equal(res.body.verified, true);
    t.equal(res.body.code, 'OK');
    t.equal(res.body.identifier, issued.identifier);
    t.ok(res.body.blockHeight > 0, 'states the ledger height it read');
    t.same(res.body.checks.map((c: { name: string }) => c.name), ['integrity', 'status', 'validity', 'issuer', 'seal', 'dispute']);
    for (const c of res.body.checks) {
      t.equal(c.code, 'OK', `${c.name} OK`);
      t.match(c.message, /\p{Script=Han}/u, `${c.name} has a Chinese message`);
      t.match(c.messageEn, /[A-Za-z]/, `${c.name} has an English message`);
    }
    t.equal(checkOf(res.body, 'issuer').detail.issuerCode, AGENCY_A.code);
  });

  t.test('the QR route verifies identifier and digest; a browser is sent to the page', async (t) => {
    const issued = await sys.issue(t);
    t.match(issued.qr, /\/v1\/verify\/license\//, 'the gateway prints a verifier URL');
    const ok = await sys.verifyQr(issued.identifier, issued.digest);
    t.equal(ok.status, 200);
    t.equal(ok.body.verified, true);
    t.equal(checkOf(ok.body, 'seal').detail.scope, 'ledger', 'without a signature only the ledger side of the seal is judged');

    const wrong = await sys.verifyQr(issued.identifier, `sm3:${'0'.repeat(64)}`);
    t.equal(wrong.body.verified, false);
    t.equal(wrong.body.code, 'DIGEST_MISMATCH');

    const browser = await fetch(`${sys.verifierUrl}/v1/verify/license/${encodeURIComponent(issued.identifier)}?digest=${issued.digest}`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
      redirect: 'manual',
    });
    t.equal(browser.status, 303);
    t.match(browser.headers.get('location'), /^\/verify\?identifier=/);

    const bad = await sys.call('verifier', 'GET', `/v1/verify/license/not-an-identifier?digest=${issued.digest}`);
    t.equal(bad.status, 400);
    t.equal(bad.body.code, 'INVALID_IDENTIFIER');
    const noDigest = await sys.call('verifier', 'GET', `/v1/verify/license/${encodeURIComponent(issued.identifier)}`);
    t.equal(noDigest.status, 400);
  });

  t.test('altered content reads as altered (DIGEST_MISMATCH), and the seal no longer covers it', async (t) => {
    const issued = await sys.issue(t);
    const altered = tampered(issued.document, (d) => {
      d.document.fields['经营场所'] = '上海市浦东新区另一路2号';
    });
    const res = await sys.verify(altered);
    t.equal(res.status, 200);
    t.equal(res.body.verified, false);
    t.equal(res.body.code, 'DIGEST_MISMATCH');
    t.equal(checkOf(res.body, 'integrity').code, 'DIGEST_MISMATCH');
    t.equal(checkOf(res.body, 'seal').code, 'SEAL_INVALID');
    t.equal(checkOf(res.body, 'status').code, 'OK', 'the other checks still report on the ledger record');

    // Re-hashed by the forger: the content matches its own digest, not the ledger's.
    const rehashed = tampered(altered, (d) => {
      d.digest = licenseDocumentDigest(d.document);
    });
    const again = await sys.verify(rehashed);
    t.equal(again.body.code, 'DIGEST_MISMATCH');
    t.match(checkOf(again.body, 'integrity').messageEn, /anchored on the ledger/);
  });

  t.test('a license never issued is NOT_ON_LEDGER; nothing else is claimed', async (t) => {
    const issued = await sys.issue(t);
    const unknown = makeLicenseIdentifier({ typeCode: issued.document.document.typeCode, issuerCode: AGENCY_A.code, serial: 'NEVERISSUED1', version: 1 });
    const forged = tampered(issued.document, (d) => {
      d.document.identifier = unknown;
    });
    const res = await sys.verify(forged);
    t.equal(res.body.verified, false);
    t.equal(res.body.code, 'NOT_ON_LEDGER');
    t.same(res.body.checks.slice(1).map((c: { code: string }) => c.code), Array(5).fill('NOT_CHECKED'));
    const qr = await sys.verifyQr(unknown, issued.digest);
    t.equal(qr.body.code, 'NOT_ON_LEDGER');
  });

  t.test('status outcomes read from the ledger on every call', async (t) => {
    const suspended = await sys.issue(t);
    t.equal((await sys.verify(suspended.document)).body.verified, true, 'verified before');
    await sys.status(t, suspended.identifier, 'suspend');
    let res = await sys.verify(suspended.document);
    t.equal(res.body.code, 'SUSPENDED', 'suspended: seen at once (status is never cached)');
    t.equal(checkOf(res.body, 'status').detail.status, '02');
    await sys.status(t, suspended.identifier, 'resume');
    t.equal((await sys.verify(suspended.document)).body.verified, true, 'resumed: verified again');

    for (const [action, code, state] of [
      ['revoke', 'REVOKED', '03'],
      ['revoke-penalty', 'REVOKED', '07'],
      ['cancel', 'CANCELLED', '04'],
      ['expire', 'EXPIRED', '05'],
      ['transfer-out', 'TRANSFERRED_OUT', '06'],
    ] as const) {
      const issued = await sys.issue(t);
      await sys.status(t, issued.identifier, action);
      res = await sys.verify(issued.document);
      t.equal(res.body.verified, false, `${action}: not verified`);
      t.equal(res.body.code, code, `${action}: ${code}`);
      t.equal(checkOf(res.body, 'status').detail.status, state);
      t.equal((await sys.verifyQr(issued.identifier, issued.digest)).body.code, code, `${action}: the QR route agrees`);
    }
  });

  t.test('validity is judged by date in UTC+8: expired and not yet valid', async (t) => {
    const past = await sys.issue(t, licenseInputA({ issuedOn: '2019-01-01', validFrom: '2019-01-01', validUntil: '2020-12-31' }));
    let res = await sys.verify(past.document);
    t.equal(res.body.code, 'EXPIRED');
    t.equal(checkOf(res.body, 'status').code, 'OK', 'its status is still 01: expired by date, not by action');
    t.equal(checkOf(res.body, 'validity').code, 'EXPIRED');

    const future = await sys.issue(t, licenseInputA({ validFrom: '2098-01-01', validUntil: null }));
    res = await sys.verify(future.document);
    t.equal(res.body.code, 'NOT_YET_VALID');

    const open = await sys.issue(t, licenseInputA({ validUntil: null }));
    res = await sys.verify(open.document);
    t.equal(res.body.verified, true, 'no end date (长期) is valid');
    t.match(checkOf(res.body, 'validity').message, /长期/);
  });

  t.test('a renewed license is SUPERSEDED by the new version, which verifies', async (t) => {
    const old = await sys.issue(t);
    const renewed = await sys.call('gateway', 'POST', `/v1/licenses/${encodeURIComponent(old.identifier)}/versions`, { operation: 'renew', changes: { validUntil: '2099-06-30' }, reason: '延续' }, 'issuerA');
    t.equal(renewed.status, 201, 'renewed', { body: renewed.body });
    const res = await sys.verify(old.document);
    t.equal(res.body.code, 'SUPERSEDED');
    const status = checkOf(res.body, 'status');
    t.equal(status.detail.supersededBy, renewed.body.identifier, 'says by which identifier');
    t.ok(status.message.includes(renewed.body.identifier) && status.messageEn.includes(renewed.body.identifier));
    const fresh = await sys.verify(renewed.body.document);
    t.equal(fresh.body.verified, true);
    t.equal(fresh.body.identifier, renewed.body.identifier);
  });

  t.test('a document naming another issuer: ISSUER_NOT_AUTHORIZED beside the altered content', async (t) => {
    const issued = await sys.issue(t);
    const forged = tampered(issued.document, (d) => {
      d.document.issuerCode = '11310000002421293';
      d.document.issuerName = '上海市人力资源和社会保障局';
    });
    const res = await sys.verify(forged);
    t.equal(res.body.verified, false);
    t.equal(checkOf(res.body, 'integrity').code, 'DIGEST_MISMATCH');
    t.equal(checkOf(res.body, 'issuer').code, 'ISSUER_NOT_AUTHORIZED');
    t.match(checkOf(res.body, 'issuer').messageEn, /not the recorded issuer/);
  });

  t.test('a dispute raised and accepted flags the license: DISPUTED', async (t) => {
    const issued = await sys.issue(t);
    const raised = await sys.call('gateway', 'POST', '/v1/disputes', { subject: { kind: 'license', id: issued.identifier }, reason: '经营场所有误' }, 'verifier');
    t.equal(raised.status, 201, 'raised', { body: raised.body });
    t.equal((await sys.verify(issued.document)).body.verified, true, 'a submitted dispute is not yet a flag');
    const accepted = await sys.call('gateway', 'POST', `/v1/disputes/${encodeURIComponent(raised.body.disputeId)}/accept`, {}, 'admin');
    t.equal(accepted.status, 200, 'accepted', { body: accepted.body });
    const res = await sys.verify(issued.document);
    t.equal(res.body.code, 'DISPUTED');
    t.same(checkOf(res.body, 'dispute').detail.disputes, [raised.body.disputeId]);
    t.equal((await sys.verifyQr(issued.identifier, issued.digest)).body.code, 'DISPUTED');
  });

  t.test('a broken or foreign seal is SEAL_INVALID', async (t) => {
    const a = await sys.issue(t);
    const b = await sys.issue(t);
    const garbage = tampered(a.document, (d) => {
      d.seal.signature = Buffer.from('not a signature at all').toString('base64');
    });
    let res = await sys.verify(garbage);
    t.equal(res.body.code, 'SEAL_INVALID');
    t.equal(checkOf(res.body, 'integrity').code, 'OK', 'the content itself is intact');

    const swapped = tampered(a.document, (d) => {
      d.seal.signature = b.document.seal.signature;
    });
    res = await sys.verify(swapped);
    t.equal(res.body.code, 'SEAL_INVALID', "another license's signature does not cover this one");
    t.ok(checkOf(res.body, 'seal').detail.steps.some((s: { code: string }) => s.code === 'DIGEST_MISMATCH'));

    const otherSeal = tampered(a.document, (d) => {
      d.seal.sealId = 'AgencyBMSP.seal-1';
    });
    res = await sys.verify(otherSeal);
    t.equal(res.body.code, 'SEAL_INVALID', 'a seal other than the recorded one');
  });

  t.test('malformed documents are 400 INVALID_DOCUMENT, not results', async (t) => {
    const issued = await sys.issue(t);
    for (const [what, body] of [
      ['no seal', tampered(issued.document, (d) => delete d.seal)],
      ['a number for a date', tampered(issued.document, (d) => (d.document.validFrom = 20250102))],
      ['a bad identifier', tampered(issued.document, (d) => (d.document.identifier = '1.2.3'))],
      ['an unknown format', tampered(issued.document, (d) => (d.document.format = 'other@9'))],
      ['a bad digest string', tampered(issued.document, (d) => (d.digest = 'md5:abc'))],
      ['not an object', 'a string'],
    ] as const) {
      const res = await sys.verify(body);
      t.equal(res.status, 400, what);
      t.equal(res.body.code, 'INVALID_DOCUMENT', what);
      t.match(res.headers.get('content-type'), /application\/problem\+json/);
    }
    const extra = await sys.call('verifier', 'POST', '/v1/verify/license', { document: issued.document, more: 1 });
    t.equal(extra.body.code, 'INVALID_DOCUMENT');
    const notJson = await fetch(`${sys.verifierUrl}/v1/verify/license`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    t.equal(notJson.status, 400);
  });

  t.test('a ledger that cannot be reached is 503 LEDGER_UNAVAILABLE, never "invalid"', async (t) => {
    const issued = await sys.issue(t);
    const real = sys.ts.system.verifier.verifier.options;
    const down: Principal = {
      ...real.publicPrincipal,
      contract: {
        submit: () => Promise.reject(new LedgerUnavailableError('peer unreachable')),
        evaluate: () => Promise.reject(new LedgerUnavailableError('peer unreachable')),
      },
    };
    const app = await createVerifierApp({ ...real, publicPrincipal: down, materialSource: new FunctionMaterialSource(() => Promise.reject(new Error('unused'))), logger: false });
    t.teardown(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const res = await fetch(`${url}/v1/verify/license`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ document: issued.document }) });
    t.equal(res.status, 503);
    const body = (await res.json()) as { code: string };
    t.equal(body.code, 'LEDGER_UNAVAILABLE');
    t.ok(res.headers.get('retry-after'));
    const qr = await fetch(`${url}/v1/verify/license/${encodeURIComponent(issued.identifier)}?digest=${issued.digest}`);
    t.equal(qr.status, 503);
  });
});
