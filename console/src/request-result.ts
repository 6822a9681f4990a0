/**
 * What a request came to, shown the same way after an action on the Person page and on an opened request:
 * an erasure's receipt, an access request's bundle with its download, or what else was done. Results never
 * hold personal data; the export is fetched with the token in a header and saved from memory.
 */
import type { ErasureReceipt } from '../../shared/domain/erasure-receipt.ts';
import type { StaffApi } from './api.ts';
import { dateTime, h, saveFile, summaryList } from './dom.ts';
import { failureSummary, whileSending } from './forms.ts';
import type { RequestDetail } from './rights-types.ts';

const DELETED_LABELS: Readonly<Record<keyof ErasureReceipt['deleted'], string>> = {
  contact: 'Contact',
  topics: 'Topics',
  consentEvents: 'Consent history events',
  enquiries: 'Enquiries',
  movedLinks: 'Forwarding of old links',
  deliveryMarkers: 'MailChimp delivery markers',
  unsentEmails: 'Emails not yet sent',
};

const MAILCHIMP_LABELS: Readonly<Record<ErasureReceipt['mailchimp'], string>> = {
  pending: 'To be permanently deleted by the sync, retried until MailChimp confirms',
  deleted: 'Permanently deleted',
  not_a_member: 'Not a member',
  not_used: 'MailChimp is not used',
};

const RESULT_LABELS: Readonly<Record<string, string>> = {
  topics: 'Topics',
  consentEvents: 'Consent history events',
  enquiries: 'Enquiries',
  exportAvailableUntil: 'Export available until',
  fieldsChanged: 'Fields changed',
  enquiriesChanged: 'Enquiries changed',
  contactFound: 'Contact found',
  addressMoved: 'Address moved',
  restricted: 'Restricted',
  lifted: 'Restriction lifted',
  withdrawn: 'Permissions withdrawn',
  suppressed: 'Address suppressed',
};

/** The result of a finished request, or nothing when there is none yet. */
export function requestResult(api: StaffApi, request: RequestDetail): HTMLElement[] {
  const result = request.result;
  if (!result) return [];
  if (result.receipt) return [h('h3', {}, 'Erasure receipt'), receiptList(result.receipt)];
  const entries = Object.entries(result)
    .filter(([name]) => name !== 'export')
    .map(([name, value]): [string, string] => [RESULT_LABELS[name] ?? name, words(name, value)]);
  return [
    h('h3', {}, 'What was done'),
    summaryList(entries),
    ...(request.type === 'access' && result.exportAvailableUntil ? [exportDownload(api, request.id)] : []),
  ];
}

function receiptList(receipt: ErasureReceipt): HTMLElement {
  return summaryList([
    ['Erased', dateTime(receipt.erasedAt)],
    ...Object.entries(receipt.deleted).map(([kind, count]): [string, string] => [
      `Deleted: ${DELETED_LABELS[kind as keyof ErasureReceipt['deleted']] ?? kind}`,
      String(count),
    ]),
    ['MailChimp member', MAILCHIMP_LABELS[receipt.mailchimp] ?? receipt.mailchimp],
    ['Suppression list', 'The address is kept only as a keyed hash, so it is never added again'],
    ['Backups hold it until', dateTime(receipt.backupsClearAt)],
  ]);
}

function words(name: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length === 0 ? 'None' : value.join(', ');
  if (name === 'exportAvailableUntil' && typeof value === 'string') return dateTime(value);
  if (value === 'all') return 'All';
  return String(value);
}

/** The access bundle as a JSON file: fetched with the token in a header, never a link with it in. */
function exportDownload(api: StaffApi, requestId: string): HTMLElement {
  const messages = h('div');
  const button = h(
    'button',
    { type: 'button', class: 'govuk-button govuk-button--secondary' },
    'Download the export (JSON)',
  );
  const box = h('div', { class: 'export-download' }, messages, button);
  button.addEventListener('click', async () => {
    messages.replaceChildren();
    try {
      const blob = await whileSending(box, () => api.requestExport(requestId));
      saveFile(blob, `access-${requestId}.json`);
    } catch (error) {
      messages.replaceChildren(failureSummary(error));
    }
  });
  return box;
}
