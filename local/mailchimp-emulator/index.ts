/**
 * A stand-in for MailChimp in local mode and tests: the subset of the Marketing API v3.0 the product uses,
 * held in memory and served on the local server. What local mode, tests and benchmarks use of it.
 *
 *   members.ts, audience-fields.ts   the audience and MailChimp's rules for it
 *   api-routes.ts                    the Marketing API, as the official client calls it
 *   webhooks.ts                      webhook registration (validation GET) and delivery
 *   faults.ts                        injected failures and the connection limit
 *   emulator.ts                      the account tying them together, and the users' actions
 *   service.ts                       the emulator on the local server
 */
export type { EmulatorApiRequest } from './api-routes.ts';
export {
  DEFAULT_EMULATOR_LIST_ID,
  type HelperResult,
  MailchimpEmulator,
  type MailchimpEmulatorOptions,
} from './emulator.ts';
export type { FaultMode } from './faults.ts';
export type { MemberJson } from './members.ts';
export { MailchimpEmulatorError } from './problems.ts';
export {
  MAILCHIMP_EMULATOR_PREFIX,
  type MailchimpEmulatorService,
  mailchimpEmulatorBasePath,
  mailchimpEmulatorService,
} from './service.ts';
export { type WebhookDelivery, webhookSignature } from './webhooks.ts';
