/**
 * License state codes of the national data interfaces (standards.md §3) and the lifecycle actions
 * between them. Whether a license is superseded by a newer version is a separate flag on the
 * ledger record, not a state.
 */

/** State code → names. */
export const LICENSE_STATUSES = Object.freeze({
  '01': { zh: '有效', en: 'valid' },
  '02': { zh: '暂扣', en: 'suspended' },
  '03': { zh: '撤销', en: 'revoked' },
  '04': { zh: '注销', en: 'cancelled' },
  '05': { zh: '失效', en: 'expired' },
  '06': { zh: '办理转出', en: 'transferred out' },
  '07': { zh: '吊销', en: 'revoked as penalty' },
  '99': { zh: '其他', en: 'other' },
} as const);

/** A license state code. */
export type LicenseStatus = keyof typeof LICENSE_STATUSES;

/** Lifecycle action → the state it leads to. */
export const STATUS_ACTIONS = Object.freeze({
  suspend: '02',
  resume: '01',
  revoke: '03',
  'revoke-penalty': '07',
  cancel: '04',
  expire: '05',
  'transfer-out': '06',
} as const satisfies Record<string, LicenseStatus>);

/** A lifecycle action name. */
export type StatusAction = keyof typeof STATUS_ACTIONS;

/** Which states each action may start from; every other state refuses it. */
const ALLOWED_FROM: Readonly<Record<StatusAction, readonly LicenseStatus[]>> = Object.freeze({
  suspend: ['01'],
  resume: ['02'], // only a suspended license comes back
  revoke: ['01', '02'],
  'revoke-penalty': ['01', '02'],
  cancel: ['01', '02'],
  expire: ['01', '02'],
  'transfer-out': ['01', '02'],
});

/** True when `code` is a known license state code. */
export function isLicenseStatus(code: string): code is LicenseStatus {
  return typeof code === 'string' && Object.hasOwn(LICENSE_STATUSES, code);
}

/** True when `action` is a known lifecycle action. */
export function isStatusAction(action: string): action is StatusAction {
  return typeof action === 'string' && Object.hasOwn(STATUS_ACTIONS, action);
}

/**
 * Whether `action` makes sense from state `from`: suspend only from 01, resume only from 02, the
 * ending actions from 01 or 02. 03–07 are terminal, and 99 (other) allows nothing. Unknown states or
 * actions give false.
 * @example canTransition('01', 'suspend') // true
 * @example canTransition('03', 'resume') // false
 */
export function canTransition(from: string, action: string): boolean {
  return isLicenseStatus(from) && isStatusAction(action) && ALLOWED_FROM[action].includes(from);
}
