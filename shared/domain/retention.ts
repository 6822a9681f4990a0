/** When items holding personal data expire. All times are UTC; TTL values are epoch seconds. */
import type { RetentionPolicy } from './settings.ts';

export function addMonths(from: Date, months: number): Date {
  const result = new Date(from.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  // Clamp 31 Jan + 1 month to 28/29 Feb rather than rolling into March.
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

export function addDays(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 86_400_000);
}

export function toEpochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** DynamoDB deletes expired items up to days late, so every read must treat them as gone already. */
export function isExpired(expiresAt: number | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt <= toEpochSeconds(now);
}

/**
 * The expiry written on a permission kept until withdrawn (`retention.keepUntilWithdrawn`): the last
 * second of 9999, a TTL DynamoDB never reaches. A number rather than no attribute, so every read that
 * filters on `expiresAt` treats such a permission as live without a special case.
 */
export const UNTIL_WITHDRAWN = 253_402_300_799;

/** Whether permissions of this basis never lapse by time under this retention policy. */
export function keptUntilWithdrawn(
  status: 'consent' | 'soft_opt_in',
  retention: Pick<RetentionPolicy, 'keepUntilWithdrawn'>,
): boolean {
  return retention.keepUntilWithdrawn?.includes(status) ?? false;
}

export type RetainedKind =
  | 'enquiry'
  | 'consent'
  | 'soft_opt_in'
  | 'pending'
  | 'withdrawn'
  | 'consentRecord'
  | 'audit'
  | 'request';

export function expiryFor(kind: RetainedKind, from: Date, retention: RetentionPolicy): number {
  switch (kind) {
    case 'enquiry':
      return toEpochSeconds(addMonths(from, retention.enquiryMonths));
    case 'consent':
      if (keptUntilWithdrawn('consent', retention)) return UNTIL_WITHDRAWN;
      return toEpochSeconds(addMonths(from, retention.consentMonths));
    case 'soft_opt_in':
      if (keptUntilWithdrawn('soft_opt_in', retention)) return UNTIL_WITHDRAWN;
      return toEpochSeconds(addMonths(from, retention.softOptInMonths));
    case 'pending':
      return toEpochSeconds(addDays(from, retention.pendingDays));
    case 'withdrawn':
      return toEpochSeconds(addDays(from, retention.withdrawnDays));
    case 'consentRecord':
      return toEpochSeconds(addMonths(from, retention.consentRecordMonths));
    case 'audit':
      return toEpochSeconds(addMonths(from, retention.auditMonths));
    case 'request':
      return toEpochSeconds(addMonths(from, retention.requestMonths));
  }
}
