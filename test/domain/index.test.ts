import t from 'tap';
import * as domain from '../../domain';

t.test('the curated surface exports the agreed names', async (t) => {
  const names = [
    'CodedError', 'parseCodedMessage',
    'IDENTIFIER_ROOT', 'makeLicenseIdentifier', 'parseLicenseIdentifier', 'isLicenseIdentifier', 'mod3736CheckCharacter', 'nextVersionIdentifier',
    'HOLDER_CODE_TYPES', 'checkHolderCode', 'usccCheckCharacter', 'citizenIdCheckCharacter', 'isUsccShape',
    'holderRef',
    'canonicalJson', 'canonicalBytes',
    'sm3', 'digestOf', 'parseDigest', 'createDigester', 'DIGEST_PATTERN',
    'merkleRoot', 'merkleProof', 'verifyMerkleProof', 'MerkleTree',
    'LICENSE_STATUSES', 'STATUS_ACTIONS', 'canTransition',
  ];
  for (const name of names) t.ok(name in domain && (domain as Record<string, unknown>)[name] !== undefined, name);
});
