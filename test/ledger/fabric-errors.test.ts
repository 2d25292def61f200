/**
 * fabric-gateway errors → ledger errors. The errors are made as fabric-gateway's gRPC client makes
 * them (a grpc-js ServiceError with `grpc-status-details-bin`, through its own `newGatewayError`,
 * wrapped per step), with the messages the Fabric 2.5 gateway service sends; each chaincode refusal
 * must come out exactly as the embedded ledger's refusal of the same call.
 */
import t, { type Test } from 'tap';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError as GatewayCommitError } from '@hyperledger/fabric-gateway';
import { CommitError, EndorseError, LedgerUnavailableError } from '../../ledger/errors';
import { chaincodeMessage, mapFabricError } from '../../ledger/fabric/fabric-errors';
import { gatewayError, serviceError } from './fabric-fixtures';

/** What the embedded ledger throws when the chaincode answers `message` (embedded-ledger.ts #simulate). */
const embeddedRefusal = (message: string): EndorseError => new EndorseError(message, { transactionId: 'tx-1' });

function same(t: Test, actual: unknown, expected: EndorseError, what: string): void {
  t.type(actual, EndorseError, what);
  const error = actual as EndorseError;
  t.same(
    { name: error.name, code: error.code, message: error.message, detail: error.detail, transactionId: error.transactionId },
    { name: expected.name, code: expected.code, message: expected.message, detail: expected.detail, transactionId: expected.transactionId },
    what,
  );
}

t.test('a coded chaincode refusal: the code from details[].message, as embedded', async (t) => {
  const text = '[FORBIDDEN] only the data authority may register organisations';
  const endorse = gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', [
    { message: `chaincode response 500, ${text}` },
  ]);
  t.notMatch(endorse.message, /FORBIDDEN/, "fabric-gateway's message does not carry the code");
  same(t, mapFabricError(endorse, 'endorse'), embeddedRefusal(text), 'endorse');

  const evaluate = gatewayError('evaluate', GrpcStatus.UNKNOWN, `evaluate call to endorser returned error: chaincode response 500, ${text}`, [
    { message: `chaincode response 500, ${text}` },
  ]);
  same(t, mapFabricError(evaluate, 'evaluate', 'tx-1'), embeddedRefusal(text), 'evaluate (transaction id from the caller)');

  // Two organisations endorsing: one refuses with a code, the other's detail is noise.
  const two = gatewayError('endorse', GrpcStatus.ABORTED, 'failed to collect enough transaction endorsements, see attached details for more info', [
    { mspId: 'Org1MSP', message: 'some other failure' },
    { mspId: 'Org2MSP', message: 'chaincode response 500, [LICENSE_STATE] license X is revoked' },
  ]);
  same(t, mapFabricError(two, 'endorse'), embeddedRefusal('[LICENSE_STATE] license X is revoked'), 'the coded detail wins');

  // Multi-line chaincode messages survive.
  const multi = gatewayError('endorse', GrpcStatus.ABORTED, 'failed', [{ message: 'chaincode response 500, [VALIDATION] bad input:\n- field a\n- field b' }]);
  same(t, mapFabricError(multi, 'endorse'), embeddedRefusal('[VALIDATION] bad input:\n- field a\n- field b'), 'multi-line');
});

t.test('an uncoded chaincode error: CHAINCODE_ERROR with the chaincode text only', async (t) => {
  const text = "You've asked to invoke a function that does not exist: registry:Nope";
  const error = gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', [{ message: `chaincode response 500, ${text}` }]);
  same(t, mapFabricError(error, 'endorse'), embeddedRefusal(text), 'endorse');
  t.equal((mapFabricError(error, 'endorse') as EndorseError).code, 'CHAINCODE_ERROR');
  t.equal(chaincodeMessage(`evaluate call to endorser returned error: chaincode response 500, ${text}`), text);
});

t.test('refused before the chaincode runs: FORBIDDEN / BAD_PROPOSAL, as embedded', async (t) => {
  const denied = gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', [
    { message: 'error validating proposal: access denied: channel [licensechain] creator org unknown, creator is malformed' },
  ]);
  const mapped = mapFabricError(denied, 'endorse') as EndorseError;
  t.type(mapped, EndorseError);
  t.equal(mapped.code, 'FORBIDDEN');
  t.match(mapped.message, /^access denied: channel \[licensechain\]/, 'the message starts where the embedded one does');
  t.equal(mapped.transactionId, 'tx-1');

  const precondition = gatewayError('evaluate', GrpcStatus.FAILED_PRECONDITION, 'failed to evaluate transaction, see attached details for more info', [
    { message: 'access denied: channel [licensechain] creator org [EvilMSP]' },
  ]);
  t.equal((mapFabricError(precondition, 'evaluate') as EndorseError).code, 'FORBIDDEN');

  const permission = gatewayError('commitStatus', GrpcStatus.PERMISSION_DENIED, 'access denied for [CommitStatus][licensechain]: Failed verifying that proposal signature');
  t.match(mapFabricError(permission, 'commitStatus'), { code: 'FORBIDDEN', message: /^access denied for \[CommitStatus\]/ }, "the gateway's own ACL");
  const bare = gatewayError('commitStatus', GrpcStatus.PERMISSION_DENIED, 'not a channel reader');
  t.match(mapFabricError(bare, 'events'), { code: 'FORBIDDEN', message: 'access denied: not a channel reader' });

  const undefinedChaincode = gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction', [
    { message: 'make sure the chaincode nope has been successfully defined on channel licensechain and try again: chaincode definition for \'nope\' not found' },
  ]);
  t.match(mapFabricError(undefinedChaincode, 'endorse'), { code: 'BAD_PROPOSAL' });
  t.match(mapFabricError(gatewayError('evaluate', GrpcStatus.INVALID_ARGUMENT, 'failed to unpack transaction proposal: …'), 'evaluate'), { code: 'BAD_PROPOSAL' });
});

t.test('unreachable, slow or broken infrastructure: LEDGER_UNAVAILABLE', async (t) => {
  const cases: Array<[string, Error, Parameters<typeof mapFabricError>[1]]> = [
    ['peer down', gatewayError('evaluate', GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051'), 'evaluate'],
    ['client deadline', gatewayError('endorse', GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded after 15.001s'), 'endorse'],
    ['gateway endorsement timeout', gatewayError('endorse', GrpcStatus.DEADLINE_EXCEEDED, 'endorsement timeout expired while collecting first endorsement'), 'endorse'],
    ['orderers down', gatewayError('submit', GrpcStatus.UNAVAILABLE, 'no orderers could successfully process transaction', [{ message: 'rpc error: code = Unavailable desc = connection error' }]), 'submit'],
    ['orderer refused', gatewayError('submit', GrpcStatus.ABORTED, 'received unsuccessful response from orderer: SERVICE_UNAVAILABLE'), 'submit'],
    ['commit status lost', gatewayError('commitStatus', GrpcStatus.ABORTED, 'failed to get commit status'), 'commitStatus'],
    ['chaincode server down', gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction', [
      { message: 'error in simulation: failed to execute transaction abc: could not launch chaincode licensechain_1.0:123: connection refused' },
    ]), 'endorse'],
    ['chaincode crashed', gatewayError('evaluate', GrpcStatus.ABORTED, 'failed to evaluate transaction', [{ message: 'error in simulation: failed to execute transaction abc: chaincode stream terminated' }]), 'evaluate'],
    ['chaincode too slow', gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction', [{ message: 'error in simulation: failed to execute transaction abc: timeout expired while executing transaction' }]), 'endorse'],
    ['no endorsement plan', gatewayError('endorse', GrpcStatus.FAILED_PRECONDITION, 'no combination of peers can be derived which satisfy the endorsement policy: required chaincodes are not installed on sufficient peers'), 'endorse'],
    ['stream cancelled', gatewayError('evaluate', GrpcStatus.CANCELLED, 'Call cancelled'), 'events'],
    ['raw ServiceError', serviceError(GrpcStatus.UNAVAILABLE, 'connect ECONNREFUSED'), 'events'],
  ];
  for (const [what, error, step] of cases) {
    const mapped = mapFabricError(error, step);
    t.type(mapped, LedgerUnavailableError, what);
    t.equal((mapped as LedgerUnavailableError).code, 'LEDGER_UNAVAILABLE', what);
    t.equal((mapped as Error).cause, error, `${what}: the cause is kept`);
  }
  t.type(mapFabricError(new Error('Channel has been shut down'), 'evaluate'), LedgerUnavailableError, 'a closed gRPC client');
});

t.test('commit errors, our own errors and foreign errors', async (t) => {
  const commit = new GatewayCommitError({ message: 'Transaction tx-9 failed to commit with status code 11 (MVCC_READ_CONFLICT)', code: 11, transactionId: 'tx-9' } as never);
  const mapped = mapFabricError(commit, 'commitStatus') as CommitError;
  t.type(mapped, CommitError);
  t.same({ code: mapped.code, validationCode: mapped.validationCode, transactionId: mapped.transactionId }, { code: 'CONFLICT', validationCode: 11, transactionId: 'tx-9' });
  const policy = mapFabricError(new GatewayCommitError({ message: 'x', code: 10, transactionId: 't' } as never), 'commitStatus') as CommitError;
  t.equal(policy.code, 'COMMIT_FAILED');

  const ours = new LedgerUnavailableError('already mapped');
  t.equal(mapFabricError(ours, 'endorse'), ours, 'ledger errors pass through');
  const bug = new TypeError('a programming error');
  t.equal(mapFabricError(bug, 'endorse'), bug, 'anything else is left alone');
});
