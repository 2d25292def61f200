import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { newNodeSigner } from '../../certs/signer';
import { EndorseError } from '../../ledger/errors';
import { createProposal } from '../../ledger/embedded/proposal';
import { startTestNetwork } from '../support/network';
import { contracts } from './fixtures/asset-contract';

const ORG = 'Org1MSP';

async function refusal(promise: Promise<unknown>): Promise<EndorseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof EndorseError)) throw new Error(`expected an EndorseError, got ${String(error)}`);
  return error;
}

t.test('identities are checked against the channel members before any simulation', async (t) => {
  const net = await startTestNetwork({ organisations: [{ mspId: ORG }], contracts, chaincodeName: 'asset' });
  t.teardown(() => net.close());
  const member = await net.client(ORG, { name: 'member' });
  await member.submit('Put', { arguments: ['k', 'v'] });
  const height = net.ledger.height;

  t.test('a certificate from a CA that is not a member is refused', async (t) => {
    const rogueCa = await CertificateAuthority.create({ mspId: ORG, organisation: ORG });
    const rogue = net.connect(await rogueCa.issueIdentity({ commonName: 'member', attrs: { 'lc.role': 'admin' } }));
    const error = await refusal(rogue.submit('Put', { arguments: ['k', 'forged'] }));
    t.equal(error.code, 'FORBIDDEN');
    t.match(error.message, /not issued by a CA of Org1MSP/);
  });

  t.test('an MSP that is not on the channel is refused', async (t) => {
    const otherCa = await CertificateAuthority.create({ mspId: 'OtherMSP', organisation: 'Other' });
    const other = net.connect(await otherCa.issueIdentity({ commonName: 'x' }));
    const error = await refusal(other.evaluate('Get', { arguments: ['k'] }));
    t.match(error.message, /OtherMSP is not a member/);
  });

  t.test('a member certificate claimed under another MSP ID is refused', async (t) => {
    const creds = { ...member.credentials, mspId: 'Org2MSP' };
    const error = await refusal(net.connect(creds).evaluate('Get', { arguments: ['k'] }));
    t.equal(error.code, 'FORBIDDEN');
  });

  t.test('a bad signature is refused', async (t) => {
    const other = await net.client(ORG, { name: 'other' });
    // Member's certificate, other's key: the signature cannot verify.
    const forged = net.ledger.connect({
      identity: { mspId: ORG, credentials: Buffer.from(member.credentials.certificate) },
      signer: newNodeSigner(other.credentials.privateKey),
    });
    const error = await refusal(forged.getContract().submit('Put', { arguments: ['k', 'forged'] }));
    t.match(error.message, /signature does not verify/);
  });

  t.test('an expired certificate is refused, and one not yet valid', async (t) => {
    const expired = await net.client(ORG, { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    t.match((await refusal(expired.submit('Put', { arguments: ['k', 'x'] }))).message, /expired/);
    const future = await net.client(ORG, { notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 2 * 86_400_000) });
    t.match((await refusal(future.evaluate('Get', { arguments: ['k'] }))).message, /not yet valid/);
  });

  t.test('a proposal whose transaction id does not derive from nonce and creator is refused', async (t) => {
    const { proposal } = createProposal({
      channelId: 'licensechain',
      chaincodeName: 'asset',
      creator: { mspId: ORG, idBytes: member.credentials.certificate },
      transactionName: 'Put',
      args: ['k', 'chosen-id'],
      transient: new Map(),
    });
    const bytes = Buffer.from(JSON.stringify({ ...proposal, txId: 'f'.repeat(64) }));
    const signature = Buffer.from(await newNodeSigner(member.credentials.privateKey)(bytes));
    const error = await refusal(net.ledger.endorse({ bytes, signature, transient: new Map() }));
    t.equal(error.code, 'BAD_PROPOSAL');
    t.match(error.message, /transaction id/);
  });

  t.test('a replayed transaction is a duplicate and changes nothing', async (t) => {
    const { bytes } = createProposal({
      channelId: 'licensechain',
      chaincodeName: 'asset',
      creator: { mspId: ORG, idBytes: member.credentials.certificate },
      transactionName: 'Put',
      args: ['replayed', 'once'],
      transient: new Map(),
    });
    const signature = Buffer.from(await newNodeSigner(member.credentials.privateKey)(bytes));
    const first = await net.ledger.order(await net.ledger.endorse({ bytes, signature, transient: new Map() }));
    t.equal(first.code, 0);
    const again = await net.ledger.order(await net.ledger.endorse({ bytes, signature, transient: new Map() }));
    t.equal(again.code, 9, 'DUPLICATE_TXID');
  });

  t.test('garbage proposals are refused cleanly', async (t) => {
    const error = await refusal(net.ledger.endorse({ bytes: Buffer.from('{not json'), signature: Buffer.alloc(0), transient: new Map() }));
    t.equal(error.code, 'BAD_PROPOSAL');
  });

  t.test('nothing refused was written', async (t) => {
    t.equal(await member.evaluate('Get', { arguments: ['k'] }).then((b) => Buffer.from(b).toString()), 'v');
    t.equal(net.ledger.height, height + 2, 'only the replay test committed (two blocks: valid, then duplicate)');
  });
});
