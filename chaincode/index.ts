/**
 * The LicenseChain chaincode: what fabric-shim's bootstrap (`contracts` export) and the embedded
 * ledger both load. Contract names: registry, license, material, consent, dispute, seal;
 * transactions are called as `<contract>:<Transaction>`, e.g. `license:Issue`.
 *
 * Note: fabric-shim's `ChaincodeFromContract` pushes its system contract onto the array it is
 * given, so pass a copy (`[...contracts]`) when constructing it more than once.
 */
import { ConsentContract } from './consent-contract';
import { DisputeContract } from './dispute-contract';
import { LicenseContract } from './license-contract';
import { MaterialContract } from './material-contract';
import { RegistryContract } from './registry-contract';
import { SealContract } from './seal-contract';
// Loaded for its decorators: the record schemas of the contract metadata.
export * as records from './records';

export { ConsentContract, DisputeContract, LicenseContract, MaterialContract, RegistryContract, SealContract };

export const contracts = [RegistryContract, LicenseContract, MaterialContract, ConsentContract, DisputeContract, SealContract];
