/**
 * Custodian delivery to another organisation over real HTTP against the real embedded system:
 * `GET /v1/materials/:id/content?receipt=` signed (RFC 9421) with the grantee's X.509 ledger
 * identity instead of a bearer token. The bytes go only to a valid, fresh, single-use signature by
 * a certificate of a consortium CA of the receipt's grantee organisation; every refusal leaves the
 * receipt undelivered.
 */
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { MemberTrust } from '../../service/member-trust';
import { CERTIFICATE_HEADER, signingIdentity, signRequest, type SigningIdentity, type SignOptions } from '../../service/request-signature';
import { startTestSystem, type TestSystem } from '../support/system';
import { call, citizen, ledgerEvaluate, ledgerSubmit, pdfBytes, principal, tomorrow, upload, uploadFields } from './material-support';

const PURPOSE = '办理社会保险登记';

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly bytes: Buffer;
  readonly headers: Headers;
}

function identityOf(ts: TestSystem, name: 'verifier' | 'issuerA' | 'portal'): SigningIdentity {
  const identity = principal(ts, name).identity;
  if (!identity) throw new Error(`${name} has no signing identity`);
  return identity;
}

t.test('signed custodian delivery', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const owner = citizen(41);
  const bytes = pdfBytes(30_000);
  const uploaded = await upload(ts, 'portal', uploadFields(owner), { data: bytes });
  t.equal(uploaded.status, 201);
  const materialId = uploaded.body.materialId as string;
  const granted = await call(ts, 'portal', 'POST', `/v1/materials/${materialId}/grants`, {
    holder: owner,
    grantee: 'VerifierMSP',
    purpose: PURPOSE,
    expiresAt: tomorrow(),
    maxUses: 100,
  });
  t.equal(granted.status, 201);
  const grantId = granted.body.grantId as string;

  /** A fresh receipt of the verifier's organisation (its own `consent:UseMaterial`). */
  const receipt = async (): Promise<string> => (await ledgerSubmit<{ receiptId: string }>(ts, 'verifier', 'consent:UseMaterial', { grantId, materialId, purpose: PURPOSE })).receiptId;
  const contentPath = (receiptId: string, material = materialId): string => `/v1/materials/${material}/content?receipt=${receiptId}`;
  const delivered = async (receiptId: string): Promise<boolean> => (await ledgerEvaluate<{ delivered: boolean }>(ts, 'verifier', 'consent:GetReceipt', receiptId)).delivered;
  const send = async (path: string, headers: Record<string, string>): Promise<Answer> => {
    const res = await fetch(`${ts.gatewayUrl}${path}`, { headers });
    const body = Buffer.from(await res.arrayBuffer());
    const code = /json/.test(res.headers.get('content-type') ?? '') ? (JSON.parse(body.toString('utf8')) as { code?: string }).code : undefined;
    return { status: res.status, code, bytes: body, headers: res.headers };
  };
  const signedGet = async (path: string, identity: SigningIdentity, options: SignOptions = {}): Promise<Answer> =>
    send(path, await signRequest(identity, 'GET', `${ts.gatewayUrl}${path}`, options));

  const verifier = identityOf(ts, 'verifier');

  t.test('a request signed by the grantee organisation gets the bytes, once', async (t) => {
    const receiptId = await receipt();
    const res = await signedGet(contentPath(receiptId), verifier);
    t.equal(res.status, 200, res.bytes.toString('utf8', 0, 200));
    t.ok(res.bytes.equals(bytes), 'the exact bytes');
    t.equal(res.headers.get('x-receipt-id'), receiptId);
    t.equal(await delivered(receiptId), true, 'the delivery is recorded on the ledger');
    const again = await signedGet(contentPath(receiptId), verifier);
    t.equal(again.status, 409, 'a new signature, but the receipt was delivered');
    t.equal(again.code, 'CONFLICT');
  });

  t.test('unsigned, or signed wrongly: 401 and the receipt stays undelivered', async (t) => {
    const receiptId = await receipt();
    const path = contentPath(receiptId);

    const unsigned = await send(path, {});
    t.equal(unsigned.status, 401);
    t.equal(unsigned.code, 'UNAUTHENTICATED', 'neither a token nor a signature');

    const otherKey: SigningIdentity = { ...verifier, sign: identityOf(ts, 'issuerA').sign };
    const forged = await signedGet(path, otherKey);
    t.equal(forged.status, 401);
    t.equal(forged.code, 'SIGNATURE_INVALID', "signed with a key that is not the certificate's");

    const headers = await signRequest(verifier, 'GET', `${ts.gatewayUrl}${path}`);
    const garbled = await send(path, { ...headers, signature: `lc=:${Buffer.alloc(64, 7).toString('base64')}:` });
    t.equal(garbled.code, 'SIGNATURE_INVALID', 'a signature value of the right size that does not verify');

    const swapped = await send(path, { ...(await signRequest(verifier, 'GET', `${ts.gatewayUrl}${path}`)), [CERTIFICATE_HEADER]: (headers[CERTIFICATE_HEADER] as string).replace(/^.{8}/, 'AAAAAAAA') });
    t.equal(swapped.status, 401, 'a certificate altered after signing');

    const noCertificate = { ...(await signRequest(verifier, 'GET', `${ts.gatewayUrl}${path}`)) };
    delete noCertificate[CERTIFICATE_HEADER];
    t.equal((await send(path, noCertificate)).code, 'SIGNATURE_INVALID', 'no certificate');

    t.equal(await delivered(receiptId), false, 'nothing was delivered');
    t.equal((await signedGet(path, verifier)).status, 200, 'the receipt still yields its delivery');
  });

  t.test('the path or the query changed after signing: SIGNATURE_INVALID', async (t) => {
    const signedFor = await receipt();
    const sentFor = await receipt();
    const headers = await signRequest(verifier, 'GET', `${ts.gatewayUrl}${contentPath(signedFor)}`);
    const query = await send(contentPath(sentFor), headers);
    t.equal(query.status, 401);
    t.equal(query.code, 'SIGNATURE_INVALID', 'another receipt in the query');

    const other = await upload(ts, 'portal', uploadFields(owner), { data: pdfBytes(5_000) });
    const path = await send(contentPath(signedFor, other.body.materialId as string), await signRequest(verifier, 'GET', `${ts.gatewayUrl}${contentPath(signedFor)}`));
    t.equal(path.code, 'SIGNATURE_INVALID', 'another material in the path');

    t.equal(await delivered(signedFor), false);
    t.equal(await delivered(sentFor), false);
  });

  t.test('certificates outside the consortium or of another organisation', async (t) => {
    const receiptId = await receipt();
    const path = contentPath(receiptId);

    // A CA nobody configured, minting a perfect-looking VerifierMSP verifier.
    const rogueCa = await CertificateAuthority.create({ mspId: 'VerifierMSP', organisation: '上海市人力资源和社会保障局', commonName: 'ca.verifier' });
    const rogue = signingIdentity(await rogueCa.issueIdentity({ commonName: 'verifier', attrs: { 'lc.role': 'verifier' } }));
    const untrusted = await signedGet(path, rogue);
    t.equal(untrusted.status, 401);
    t.equal(untrusted.code, 'IDENTITY_UNTRUSTED', 'a certificate from a CA not in the consortium');

    const claimsPortal = await signedGet(path, { ...verifier, mspId: 'PortalMSP' });
    t.equal(claimsPortal.code, 'IDENTITY_UNTRUSTED', "a member's certificate claimed for another MSP");
    const unknownMsp = await signedGet(path, { ...verifier, mspId: 'NoSuchMSP' });
    t.equal(unknownMsp.code, 'IDENTITY_UNTRUSTED', 'an MSP that is not a member');

    const agency = await signedGet(path, identityOf(ts, 'issuerA'));
    t.equal(agency.status, 403, 'a valid member, but not the receipt\'s grantee');
    t.equal(agency.code, 'FORBIDDEN');
    const portal = await signedGet(path, identityOf(ts, 'portal'));
    t.equal(portal.status, 403, 'the custodian organisation itself (role portal)');
    t.equal(portal.code, 'FORBIDDEN');

    t.equal(await delivered(receiptId), false, 'nothing was delivered');
  });

  t.test('a replayed nonce is refused, even for a request that would otherwise pass', async (t) => {
    const receiptId = await receipt();
    const path = contentPath(receiptId);
    const headers = await signRequest(verifier, 'GET', `${ts.gatewayUrl}${path}`);
    const first = await send(path, headers);
    t.equal(first.status, 200);
    const replay = await send(path, headers);
    t.equal(replay.status, 401);
    t.equal(replay.code, 'SIGNATURE_REPLAYED', 'the same signature twice (not CONFLICT: refused before the ledger)');

    const next = await receipt();
    const reused = await signedGet(contentPath(next), verifier, { nonce: /nonce="([^"]+)"/.exec(headers['signature-input'] as string)?.[1] as string });
    t.equal(reused.code, 'SIGNATURE_REPLAYED', 'the same nonce in a new signature for another receipt');
    t.equal(await delivered(next), false);
  });

  t.test('created: at most 5 minutes old, at most 30 s ahead', async (t) => {
    const receiptId = await receipt();
    const path = contentPath(receiptId);
    const stale = await signedGet(path, verifier, { created: new Date(Date.now() - 6 * 60_000) });
    t.equal(stale.status, 401);
    t.equal(stale.code, 'SIGNATURE_EXPIRED', 'six minutes old');
    const future = await signedGet(path, verifier, { created: new Date(Date.now() + 5 * 60_000) });
    t.equal(future.code, 'SIGNATURE_EXPIRED', 'five minutes ahead');
    t.equal(await delivered(receiptId), false);
    const old = await signedGet(path, verifier, { created: new Date(Date.now() - 4 * 60_000) });
    t.equal(old.status, 200, 'four minutes old is still accepted');
  });

  t.test('in Fabric mode the same CAs come from the MSP folders', async (t) => {
    const folders = Object.fromEntries(ts.system.demo.consortium.organisations.map((org) => [org.mspId, org.mspDir]));
    const trust = await MemberTrust.fromMspFolders(folders);
    t.same(trust.mspIds.sort(), ts.system.ledger.channel.organisations.map((o) => o.mspId).sort(), 'the channel members');
    const member = await trust.identify('VerifierMSP', verifier.certificate);
    t.match(member, { mspId: 'VerifierMSP', role: 'verifier' });
    await t.rejects(trust.identify('AgencyAMSP', verifier.certificate), { code: 'IDENTITY_UNTRUSTED' });
  });
});
