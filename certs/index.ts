/**
 * The PKI of a LicenseChain consortium: organisation CAs, member identities with Fabric CA role
 * attributes, TLS certificates, Fabric MSP folders, a node:crypto signer, certificate checks.
 */
export type { Credentials, NodeOU } from './credentials';
export { isNodeOU, NODE_OUS } from './credentials';
export { CertsErrorCode } from './errors';
export { CertificateAuthority, mspLabel } from './certificate-authority';
export type { CreateCertificateAuthorityOptions, IssueIdentityOptions, IssueTlsOptions } from './certificate-authority';
export { decodeFabricAttributes, encodeFabricAttributes, FABRIC_ATTRS_OID } from './fabric-attributes';
export { parseCertificate, verifyChain } from './certificate-info';
export type { CertificateInfo, ChainFailureCode, ChainResult } from './certificate-info';
export { isLowS, newNodeSigner, toLowS, verifyNodeSignature } from './signer';
export type { NodeSigner } from './signer';
export { loadCaDir, loadCredentials, MSP_PATHS, mspIdFromPath, readMsp, readTls, tlsPaths, writeCaDir, writeMsp, writeTls } from './msp-layout';
export type { MspContents, MspFolder, TlsFiles } from './msp-layout';
export { createConsortium, findMember, findOrganisation, loadConsortium, memberCredentials, organisationCa } from './consortium';
export type { Consortium, ConsortiumMember, ConsortiumOrganisation, ConsortiumSpec, IdentitySpec, OrganisationSpec } from './consortium';
export { run as runCertsCli } from './cli';
