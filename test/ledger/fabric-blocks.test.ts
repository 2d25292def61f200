/**
 * Block JSON from Fabric protobuf blocks built with @hyperledger/fabric-protos: header hashes,
 * transactions, validation codes from TRANSACTIONS_FILTER, config transactions, chain info — in
 * the field names of the embedded ledger's `describeBlock`.
 */
import t from 'tap';
import { common, peer } from '@hyperledger/fabric-protos';
import { describeBlock } from '../../ledger/embedded/embedded-ledger';
import { dataHash, headerHash } from '../../ledger/embedded/block';
import { decodeChainInfo, describeFabricBlock, describeProcessedTransaction, findTransaction } from '../../ledger/fabric/block-decoder';
import { buildBlock, configEnvelope, endorserEnvelope, fabricHeaderHash } from './fabric-fixtures';

const CHANNEL = 'licensechain';
const TX1 = 'a'.repeat(64);
const TX2 = 'b'.repeat(64);

function sampleBlock(): common.Block {
  const put = endorserEnvelope({
    channelId: CHANNEL,
    txId: TX1,
    mspId: 'AgencyAMSP',
    chaincode: 'licensechain',
    args: ['license:Issue', '{"identifier":"X"}', 'second'],
    reads: ['license~X'],
    lifecycleReads: 2,
    writes: [{ key: 'license~X', value: '{}' }, { key: 'old', isDelete: true }],
    event: { name: 'LicenseIssued', payload: '{"identifier":"X"}' },
    endorsers: ['AgencyAMSP', 'AuthorityMSP'],
    timestampMs: Date.UTC(2025, 2, 1, 8, 0, 0, 123),
  });
  const conflicted = endorserEnvelope({ channelId: CHANNEL, txId: TX2, mspId: 'AgencyBMSP', chaincode: 'licensechain', args: ['license:Revoke', 'X'], reads: ['license~X'] });
  return buildBlock(7, Buffer.alloc(32, 1), [put, conflicted], [peer.TxValidationCode.VALID, peer.TxValidationCode.MVCC_READ_CONFLICT], Buffer.alloc(32, 9));
}

t.test('header: number, hex hashes, Fabric header hash', async (t) => {
  const block = sampleBlock();
  const json = describeFabricBlock(block.serializeBinary());
  t.equal(json.number, 7);
  t.equal(json.previousHash, '01'.repeat(32));
  t.equal(json.dataHash, Buffer.from(block.getHeader()?.getDataHash_asU8() ?? []).toString('hex'));
  t.equal(json.hash, fabricHeaderHash(block).toString('hex'), 'SHA-256 of the DER header, computed independently');
  t.equal(json.commitHash, '09'.repeat(32), 'COMMIT_HASH metadata');
  t.same(describeFabricBlock(block), json, 'a decoded Block gives the same answer as its bytes');
  // Big block numbers need a longer DER integer.
  const big = buildBlock(0x1234567, Buffer.alloc(32), [], []);
  t.equal(describeFabricBlock(big).hash, fabricHeaderHash(big).toString('hex'));
});

t.test('transactions: codes from TRANSACTIONS_FILTER, the embedded field names', async (t) => {
  const json = describeFabricBlock(sampleBlock().serializeBinary());
  t.equal(json.transactions.length, 2);
  t.same(json.transactions[0], {
    blockNumber: 7,
    txNumber: 0,
    validationCode: 0,
    validation: 'VALID',
    type: 'endorser',
    txId: TX1,
    creator: { mspId: 'AgencyAMSP' },
    timestamp: '2025-03-01T08:00:00.123Z',
    chaincode: 'licensechain',
    function: 'license:Issue',
    arguments: ['{"identifier":"X"}', 'second'],
    reads: 1,
    writes: [
      { key: 'license~X', isDelete: false },
      { key: 'old', isDelete: true },
    ],
    event: 'LicenseIssued',
    endorsers: ['AgencyAMSP', 'AuthorityMSP'],
  });
  t.match(json.transactions[1], { txNumber: 1, validationCode: 11, validation: 'MVCC_READ_CONFLICT', txId: TX2, function: 'license:Revoke', reads: 1, writes: [] });
  t.notOk('event' in (json.transactions[1] ?? {}), 'no event, no field');
  t.equal(findTransaction(json, TX2)?.txNumber, 1);
  t.equal(findTransaction(json, 'nope'), undefined);

  // Every key of an embedded endorser transaction exists here too (Fabric adds `endorsers`).
  const embedded = describeBlock({
    header: { number: 7, previousHash: '01'.repeat(32), dataHash: dataHash(['x']) },
    data: [
      JSON.stringify({
        type: 'endorser',
        proposal: JSON.stringify({ txId: TX1, creator: { mspId: 'AgencyAMSP' }, timestamp: { seconds: 1, nanos: 0 }, chaincodeName: 'licensechain', args: [Buffer.from('f').toString('base64')] }),
        signature: '',
        rwset: { namespace: 'licensechain', reads: [], writes: [] },
        response: { status: 200, payload: '' },
        event: { name: 'E', payload: '' },
      }),
    ],
    metadata: { validationCodes: [0], commitHash: 'c' },
  });
  t.same(Object.keys(json).sort(), Object.keys(embedded).sort(), 'block fields');
  const missing = Object.keys(embedded.transactions[0] ?? {}).filter((key) => !(key in (json.transactions[0] ?? {})));
  t.same(missing, [], 'transaction fields');
  t.equal(typeof headerHash, 'function');
});

t.test('a config block: organisations and root certificates; unknown codes named', async (t) => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const block = buildBlock(0, new Uint8Array(), [configEnvelope(CHANNEL, [{ mspId: 'OrgBMSP', rootCertificate: pem }, { mspId: 'OrgAMSP', rootCertificate: pem }])], [0]);
  const json = describeFabricBlock(block.serializeBinary());
  t.equal(json.previousHash, '');
  t.notOk('commitHash' in json, 'no COMMIT_HASH metadata, no field');
  t.same(json.transactions[0], {
    blockNumber: 0,
    txNumber: 0,
    validationCode: 0,
    validation: 'VALID',
    type: 'config',
    config: { channelId: CHANNEL, organisations: [{ mspId: 'OrgAMSP', rootCertificates: [pem] }, { mspId: 'OrgBMSP', rootCertificates: [pem] }] },
  });
  const odd = buildBlock(3, new Uint8Array(), [endorserEnvelope({ channelId: CHANNEL, txId: TX1, mspId: 'M', chaincode: 'c', args: ['f'] })], [255]);
  t.equal(describeFabricBlock(odd).transactions[0]?.validation, 'INVALID_OTHER_REASON');
  const garbage = new common.Block();
  const data = new common.BlockData();
  data.setDataList([Buffer.from('not an envelope at all')]);
  garbage.setData(data);
  t.match(describeFabricBlock(garbage).transactions[0], { type: 'unknown', validationCode: 254, validation: 'NOT_VALIDATED' }, 'undecodable data does not throw');
});

t.test('processed transaction (qscc GetTransactionByID) and chain info (GetChainInfo)', async (t) => {
  const processed = new peer.ProcessedTransaction();
  processed.setTransactionenvelope(endorserEnvelope({ channelId: CHANNEL, txId: TX1, mspId: 'AuditMSP', chaincode: 'licensechain', args: ['registry:List'] }));
  processed.setValidationcode(peer.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
  t.match(describeProcessedTransaction(processed.serializeBinary(), 12, 3), {
    blockNumber: 12,
    txNumber: 3,
    txId: TX1,
    validationCode: 10,
    validation: 'ENDORSEMENT_POLICY_FAILURE',
    creator: { mspId: 'AuditMSP' },
    function: 'registry:List',
  });

  const info = new common.BlockchainInfo();
  info.setHeight(42);
  info.setCurrentblockhash(Buffer.alloc(32, 0xab));
  info.setPreviousblockhash(Buffer.alloc(32, 0xcd));
  t.same(decodeChainInfo(info.serializeBinary()), { height: 42, currentBlockHash: 'ab'.repeat(32), previousBlockHash: 'cd'.repeat(32) });
  const fresh = new common.BlockchainInfo();
  fresh.setHeight(1);
  fresh.setCurrentblockhash(Buffer.alloc(32, 1));
  t.same(decodeChainInfo(fresh.serializeBinary()), { height: 1, currentBlockHash: '01'.repeat(32), previousBlockHash: '' }, "'' below two blocks, as embedded");
});
