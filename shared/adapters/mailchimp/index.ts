/**
 * MailChimp, for the functions that keep it in step with our store. Importing this loads the official client:
 * the enquiry and links functions must never import it. Code that only needs to recognise a MailChimp error
 * can import `./errors.ts`, which does not load the client.
 */
export {
  type AudienceSetup,
  type AudienceWebhook,
  type ChangedMember,
  type ChangedMembersPage,
  type ChangedStatus,
  createMailchimpAudience,
  type MailchimpAudience,
  type MailchimpAudienceOptions,
  type MailchimpMember,
  type MemberStatus,
  type MemberTag,
  type MemberUpsert,
  type MergeField,
  type NewMemberStatus,
  type RetryPolicy,
  type WebhookEvent,
  type WebhookSettings,
  type WebhookSource,
} from './audience.ts';
export { isMailchimpError, MailchimpError, type MailchimpErrorCode, toMailchimpError } from './errors.ts';
