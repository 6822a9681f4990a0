/**
 * Every function and API route, declared once: the stateless stack deploys them and the local runner
 * serves them, so the two cannot drift apart.
 */
import type { StaffGroup } from '../shared/domain/staff-access.ts';
import { STAFF_ROUTES } from '../shared/domain/staff-routes.ts';

export type FunctionName =
  | 'enquiry'
  | 'links'
  | 'mailchimpWebhook'
  | 'mailchimpSync'
  | 'mailchimpReconcile'
  | 'staff'
  | 'rights'
  | 'mailer';

export interface FunctionSpec {
  /** Source entry, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = {
  enquiry: {
    entry: 'functions/enquiry/handler.ts',
    description: 'Takes website enquiries and records marketing permission',
    memorySize: 512,
    // Turnstile (3 s timeout) and DynamoDB stay well under this; mail is sent by the mailer.
    timeoutSeconds: 10,
  },
  links: {
    entry: 'functions/links/handler.ts',
    description: 'Unsubscribe, preference centre and double opt-in confirmation links',
    memorySize: 512,
    timeoutSeconds: 10,
  },
  mailchimpWebhook: {
    entry: 'functions/mailchimp-webhook/handler.ts',
    description: 'Applies MailChimp unsubscribes, cleaned addresses, signups, profile and address changes',
    memorySize: 512,
    // MailChimp waits 10 s for an answer; this leaves it well inside that.
    timeoutSeconds: 8,
  },
  mailchimpSync: {
    entry: 'functions/mailchimp-sync/handler.ts',
    description: 'Keeps the MailChimp audience in step with the table stream',
    memorySize: 512,
    // MailChimp's rate-limit retries with back-off happen inside one invocation.
    timeoutSeconds: 60,
  },
  mailchimpReconcile: {
    entry: 'functions/mailchimp-reconcile/handler.ts',
    description: 'Applies MailChimp unsubscribes and cleaned addresses whose webhooks never arrived',
    memorySize: 512,
    // Pages of 500 members with a few DynamoDB reads each; a large backlog after an outage needs minutes.
    timeoutSeconds: 300,
  },
  staff: {
    entry: 'functions/staff/handler.ts',
    description: 'Staff API: marketing lists, contacts, enquiries and the audit trail',
    memorySize: 512,
    // One page of a query and its audit record: a few DynamoDB calls.
    timeoutSeconds: 10,
  },
  rights: {
    entry: 'functions/rights/handler.ts',
    description: 'Data-subject requests: the register, the rights, the privacy centre and the complaint form',
    memorySize: 1024,
    // An erasure or access bundle for a person with a long history reads and deletes a few hundred items.
    timeoutSeconds: 29,
  },
  mailer: {
    entry: 'functions/mailer/handler.ts',
    description: 'Sends the emails queued in the outbox (staff notifications, confirmations, welcomes)',
    memorySize: 256,
    // A batch of 10 messages, each a read, an SES call and a delete.
    timeoutSeconds: 30,
  },
};

interface RouteBase {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly path: string;
  readonly function: FunctionName;
  /** Per-route throttling (requests per second, burst). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
}

/** No authorizer, and tighter throttling than the stage default. */
export interface PublicRouteSpec extends RouteBase {
  readonly access: 'public';
}

/** Behind the Cognito authorizer; the function then admits only members of `groups`. */
export interface StaffRouteSpec extends RouteBase {
  readonly access: 'staff';
  readonly groups: readonly [StaffGroup, ...StaffGroup[]];
}

export type RouteSpec = PublicRouteSpec | StaffRouteSpec;

const STAFF_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'POST',
    path: '/enquiries',
    function: 'enquiry',
    access: 'public',
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    method: 'GET',
    path: '/enquiries/thank-you',
    function: 'enquiry',
    access: 'public',
    throttle: { rateLimit: 10, burstLimit: 20 },
  },
  // Link routes: GET and HEAD only show a page (mail scanners fetch links); POST acts.
  ...(['/unsubscribe', '/preferences', '/confirm'] as const).flatMap((path): RouteSpec[] => [
    { method: 'GET', path, function: 'links', access: 'public', throttle: { rateLimit: 10, burstLimit: 20 } },
    {
      method: 'HEAD',
      path,
      function: 'links',
      access: 'public',
      throttle: { rateLimit: 10, burstLimit: 20 },
    },
    { method: 'POST', path, function: 'links', access: 'public', throttle: { rateLimit: 5, burstLimit: 10 } },
  ]),
  // MailChimp validates the URL with a GET, then POSTs events; it sends bursts when a list changes.
  ...(['GET', 'POST'] as const).map(
    (method): RouteSpec => ({
      method,
      path: '/webhooks/mailchimp',
      function: 'mailchimpWebhook',
      access: 'public',
      throttle: { rateLimit: 20, burstLimit: 40 },
    }),
  ),
  // The people-facing pages (rights function): the emailed link by which a person confirms a subject
  // request is theirs, the privacy centre with its download, and the complaint form. GET and HEAD show a
  // page; POST acts, throttled harder since each one may send an email.
  ...(['/verify-request', '/privacy-centre', '/privacy-centre/export', '/complaints'] as const).flatMap(
    (path) =>
      (['GET', 'HEAD', 'POST'] as const).map(
        (method): RouteSpec => ({
          method,
          path,
          function: 'rights',
          access: 'public',
          throttle: method === 'POST' ? { rateLimit: 5, burstLimit: 10 } : { rateLimit: 10, burstLimit: 20 },
        }),
      ),
  ),
  // Staff routes: signed-in staff only (the Cognito authorizer), and of those only the groups named.
  ...STAFF_ROUTES.map(
    ({ method, path, groups, servedBy }): RouteSpec => ({
      method,
      path,
      function: servedBy,
      access: 'staff',
      groups,
      throttle: STAFF_THROTTLE,
    }),
  ),
];

/** Stage-wide throttling, the ceiling for every route. */
export const STAGE_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * Bodies API Gateway passes base64-encoded, byte for byte; multipart must not be re-encoded as text.
 * The local server follows the same list.
 */
export const BINARY_MEDIA_TYPES = ['multipart/form-data'] as const;

/** CORS preflight answers, the same from the deployed API and the local server. */
export const CORS_ALLOW_HEADERS = ['Content-Type', 'Accept'] as const;
/** Staff routes also take the bearer token. */
export const STAFF_CORS_ALLOW_HEADERS = [...CORS_ALLOW_HEADERS, 'Authorization'] as const;
export const CORS_MAX_AGE_SECONDS = 600;
