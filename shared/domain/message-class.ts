/**
 * Every email the product sends, classed as a service message or marketing, in one place. Service
 * messages (acknowledgements, receipts, verification and confirmation links, notices to staff) carry no
 * marketing and go to whoever they concern, whatever their marketing permission. Marketing goes only
 * to people who may receive it right now: the check is `mayBeSent`, made where mail is queued.
 */
export type MessageClass = 'service' | 'marketing';

export type EmailKind =
  /** The enquiry, to staff. */
  | 'staff_notification'
  /** "We received your enquiry", to its sender (a form with `acknowledge: true`). */
  | 'enquiry_acknowledgement'
  /** The double opt-in link: asks the person to confirm what they just asked for. */
  | 'confirmation'
  /** "You will now receive emails about …", once a marketing permission is granted. */
  | 'welcome'
  /** The link that confirms a subject request is the person's own. */
  | 'request_verification'
  /** A subject request's deadline extended, with the reason. */
  | 'request_extension'
  /** A subject request refused, with the right to complain. */
  | 'request_refusal'
  /** The daily digest of requests due soon, to the privacy address. */
  | 'request_digest'
  /** A request made on the privacy centre, carried out. */
  | 'request_done'
  /** A complaint received, to the person and to the privacy address. */
  | 'complaint_acknowledgement'
  | 'complaint_notice'
  /** The link to the privacy centre a person asked for, and a new address's confirmation link. */
  | 'privacy_centre_link'
  | 'address_change';

export const MESSAGE_CLASS: Readonly<Record<EmailKind, MessageClass>> = {
  staff_notification: 'service',
  enquiry_acknowledgement: 'service',
  confirmation: 'service',
  welcome: 'marketing',
  request_verification: 'service',
  request_extension: 'service',
  request_refusal: 'service',
  request_digest: 'service',
  request_done: 'service',
  complaint_acknowledgement: 'service',
  complaint_notice: 'service',
  privacy_centre_link: 'service',
  address_change: 'service',
};

/** Whether an email of this kind may go to a recipient who may (or may not) receive marketing now. */
export function mayBeSent(kind: EmailKind, recipient: { readonly mayReceiveMarketing: boolean }): boolean {
  return MESSAGE_CLASS[kind] === 'service' || recipient.mayReceiveMarketing;
}
