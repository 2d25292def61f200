/**
 * Chinese wording of the seal library's step codes (seal/codes.ts), for bilingual results. The
 * library's own messages are the English ones.
 */
import type { SealCheckCode } from '../seal';

const ZH: Readonly<Record<SealCheckCode, string>> = {
  OK: '通过',
  DIGEST_MISMATCH: '签章保护的摘要与所验内容的摘要不符',
  SIGNATURE_INVALID: '签名不能用签章人证书的公钥验证',
  SEAL_SIGNATURE_INVALID: '印章本身的制章签名无效（印章被改动）',
  SIGNER_NOT_IN_SEAL: '签章人证书不在印章允许的签章人之列',
  SEAL_NOT_YET_VALID_AT_SIGNING: '签章时印章尚未生效',
  SEAL_EXPIRED_AT_SIGNING: '签章时印章已过有效期',
  CERT_UNTRUSTED: '证书不能链接到受信任的根证书',
  CERT_SIGNATURE_INVALID: '证书链中某证书的签名无效',
  CERT_NOT_CA: '证书链中的签发证书不是 CA 证书',
  CERT_KEY_USAGE_INVALID: '证书的密钥用途不允许数字签名',
  CERT_NOT_YET_VALID_AT_SIGNING: '签章时证书尚未生效',
  CERT_EXPIRED_AT_SIGNING: '签章时证书已过期',
};

/** The Chinese message of a seal step code (the code itself for one this table does not know). */
export function sealStepMessages(code: string): string {
  return (ZH as Record<string, string>)[code] ?? code;
}
