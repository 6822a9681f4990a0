/**
 * A stand-in for MailChimp in local mode and tests: the subset of the Marketing API v3.0 the product uses,
 * held in memory and served on the local server under `/mailchimp/3.0`, so the official client works
 * against it once its `basePath` points there (`mailchimpEmulatorBasePath`).
 *
 * Beside the API, `/__local/mailchimp/*` helpers play the parts MailChimp's users play: a subscriber who
 * unsubscribes, an address that bounces, a profile or address change. Each fires the list's webhooks the
 * way MailChimp does (a form-encoded POST per registered URL). `POST /__local/mailchimp/faults` makes the
 * next API calls fail as MailChimp does under load, so retry paths can be exercised.
 *
 * MailChimp does not sign its webhooks (it recommends a secret in the webhook URL). The optional
 * `X-Mailchimp-Signature` header (`webhookSigningSecret`) is this emulator's own addition.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { MemberStatus } from '../shared/adapters/mailchimp/audience.ts';
import type { WebhookType } from '../shared/domain/mailchimp-webhook.ts';
import { subscriberHash } from '../shared/domain/subscriber-hash.ts';
import { findRoute, methodsForPath } from './routing.ts';
import {
  jsonResponse,
  type LocalClock,
  type LocalRequest,
  type LocalResponse,
  type LocalRoute,
  type LocalService,
} from './services.ts';

/** Where the API answers on the local server; the official client's `basePath` is the server URL plus this. */
export const MAILCHIMP_EMULATOR_PREFIX = '/mailchimp/3.0';

export const DEFAULT_EMULATOR_LIST_ID = 'local-list';

/** Longer than the official client's default timeout (120 s), so a held call always times out. */
const DEFAULT_TIMEOUT_HOLD_MS = 130_000;

/** MailChimp's documented limit on simultaneous connections per account. */
const MAX_SIMULTANEOUS_CONNECTIONS = 10;

/** MailChimp gives up on a webhook URL that takes longer than this (and on a validation request). */
const WEBHOOK_TIMEOUT_MS = 10_000;

const PROBLEM_TYPE = 'https://mailchimp.com/developer/marketing/docs/errors/';

export interface MailchimpEmulatorOptions {
  /** The key the client must present (HTTP Basic, any user name). */
  readonly apiKey: string;
  /** The one audience the emulator holds; every other list id is 404. Default `local-list`. */
  readonly listId?: string;
  readonly listName?: string;
  /** Time for `last_changed` and webhooks; the service uses the local clock when this is absent. */
  readonly now?: () => Date;
  /** When set, webhook POSTs carry `X-Mailchimp-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. */
  readonly webhookSigningSecret?: string;
  /** How long a `timeout` fault holds its response. */
  readonly timeoutHoldMs?: number;
}

export type FaultMode = '503' | '429' | '403-bare' | 'timeout';

type SettableStatus = Exclude<MemberStatus, 'archived'>;

type WebhookSource = 'user' | 'admin' | 'api';

/** A member as the API returns it. */
export interface MemberJson {
  readonly id: string;
  readonly email_address: string;
  readonly unique_email_id: string;
  readonly web_id: number;
  readonly email_type: 'html' | 'text';
  readonly status: MemberStatus;
  readonly unsubscribe_reason?: string;
  readonly merge_fields: Record<string, unknown>;
  readonly interests: Record<string, boolean>;
  readonly ip_signup: string;
  readonly timestamp_signup: string;
  readonly ip_opt: string;
  readonly timestamp_opt: string;
  readonly language: string;
  readonly vip: boolean;
  readonly last_changed: string;
  readonly source: string;
  readonly tags_count: number;
  readonly tags: { id: number; name: string }[];
  readonly list_id: string;
}

/** What a helper's webhook POST got back from each registered URL. */
export interface WebhookDelivery {
  readonly url: string;
  readonly status?: number;
  readonly error?: string;
}

export interface HelperResult {
  readonly member: MemberJson;
  readonly deliveries: WebhookDelivery[];
}

/** A call to the API, with the path after `/3.0` (e.g. `/lists/local-list/members`). */
export interface EmulatorApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A helper refused: no such member, or the member cannot take that action. */
export class MailchimpEmulatorError extends Error {
  override readonly name = 'MailchimpEmulatorError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** An API error, answered as MailChimp's problem document. */
class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: { field: string; message: string }[],
  ) {
    super(title);
  }
}

const notFound = () =>
  new ProblemError(404, 'Resource Not Found', 'The requested resource could not be found.');

const tooManyRequests = () =>
  new ProblemError(429, 'Too Many Requests', 'You have exceeded the limit of 10 simultaneous connections.');

const invalidResource = (errors: { field: string; message: string }[]) =>
  new ProblemError(
    400,
    'Invalid Resource',
    "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
    errors,
  );

const complianceState = (email: string) =>
  new ProblemError(
    400,
    'Member In Compliance State',
    `${email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`,
  );

const forgottenEmail = (email: string) =>
  new ProblemError(
    400,
    'Forgotten Email Not Subscribed',
    `${email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.`,
  );

interface Member {
  id: string;
  emailAddress: string;
  readonly uniqueEmailId: string;
  readonly webId: number;
  emailType: 'html' | 'text';
  status: MemberStatus;
  /** Kept so restoring an archived member still respects an earlier unsubscribe or bounce. */
  statusBeforeArchive: SettableStatus | undefined;
  unsubscribeReason: string | undefined;
  mergeFields: Record<string, unknown>;
  interests: Record<string, boolean>;
  readonly tags: Map<string, Date>;
  ipSignup: string;
  timestampSignup: string;
  ipOpt: string;
  timestampOpt: string;
  language: string;
  vip: boolean;
  lastChanged: Date;
  /** Orders members changed within the same second. */
  changeSequence: number;
}

interface MergeField {
  readonly merge_id: number;
  readonly tag: string;
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly default_value: string;
  readonly public: boolean;
  readonly display_order: number;
  readonly options: Record<string, unknown>;
  readonly help_text: string;
  readonly list_id: string;
}

interface InterestCategory {
  readonly list_id: string;
  readonly id: string;
  readonly title: string;
  readonly display_order: number;
  readonly type: string;
}

interface Interest {
  readonly category_id: string;
  readonly list_id: string;
  readonly id: string;
  readonly name: string;
  readonly display_order: number;
}

interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly events: Record<WebhookType, boolean>;
  readonly sources: Record<WebhookSource, boolean>;
  readonly list_id: string;
}

const settableStatus = z.enum(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional']);

const memberFields = {
  email_type: z.enum(['html', 'text']).optional(),
  status: settableStatus.optional(),
  merge_fields: z.record(z.string(), z.unknown()).optional(),
  interests: z.record(z.string(), z.boolean()).optional(),
  language: z.string().optional(),
  vip: z.boolean().optional(),
  ip_signup: z.string().optional(),
  timestamp_signup: z.string().optional(),
  ip_opt: z.string().optional(),
  timestamp_opt: z.string().optional(),
};

// Unknown fields (PUT's `tags` among them) are ignored, as MailChimp ignores them.
const putMemberBody = z.object({
  email_address: z.string().min(1),
  status_if_new: settableStatus.optional(),
  ...memberFields,
});

const patchMemberBody = z.object({ email_address: z.string().min(1).optional(), ...memberFields });

const tagsBody = z.object({
  tags: z.array(
    z.object({ name: z.string().trim().min(1).max(100), status: z.enum(['active', 'inactive']) }),
  ),
  is_syncing: z.boolean().optional(),
});

const eventFlags = z
  .object({
    subscribe: z.boolean(),
    unsubscribe: z.boolean(),
    profile: z.boolean(),
    cleaned: z.boolean(),
    upemail: z.boolean(),
    campaign: z.boolean(),
  })
  .partial();

const sourceFlags = z.object({ user: z.boolean(), admin: z.boolean(), api: z.boolean() }).partial();

const webhookBody = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: eventFlags.optional(),
  sources: sourceFlags.optional(),
});

const mergeFieldBody = z.object({
  name: z.string().min(1).max(100),
  type: z.enum([
    'text',
    'number',
    'address',
    'phone',
    'date',
    'url',
    'imageurl',
    'radio',
    'dropdown',
    'birthday',
    'zip',
  ]),
  tag: z
    .string()
    .regex(/^[A-Z0-9_]{1,10}$/i)
    .optional(),
  required: z.boolean().optional(),
  default_value: z.string().optional(),
  public: z.boolean().optional(),
  display_order: z.number().int().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  help_text: z.string().optional(),
});

const interestCategoryBody = z.object({
  title: z.string().min(1).max(100),
  type: z.enum(['checkboxes', 'dropdown', 'radio', 'hidden']),
  display_order: z.number().int().optional(),
});

const interestBody = z.object({
  name: z.string().min(1).max(100),
  display_order: z.number().int().optional(),
});

interface ApiCall {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
}

interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  handle(call: ApiCall): ApiResult | Promise<ApiResult>;
}

export class MailchimpEmulator {
  readonly listId: string;
  private readonly listName: string;
  private readonly apiKey: string;
  private readonly now: () => Date;
  private readonly signingSecret: string | undefined;
  private readonly timeoutHoldMs: number;
  private readonly routes: readonly ApiRoute[];

  private members = new Map<string, Member>();
  /** Hashes of permanently deleted members: MailChimp refuses to re-import them. */
  private forgotten = new Set<string>();
  private mergeFields: MergeField[] = [];
  private categories: InterestCategory[] = [];
  private interestList: Interest[] = [];
  private webhookList: Webhook[] = [];
  private tagIds = new Map<string, number>();
  private nextWebId = 1;
  private nextMergeId = 1;
  private changeSequence = 0;

  private inFlight = 0;
  private fault: { mode: FaultMode; remaining: number } | undefined;
  private readonly held = new Set<() => void>();

  constructor(options: MailchimpEmulatorOptions) {
    this.apiKey = options.apiKey;
    this.listId = options.listId ?? DEFAULT_EMULATOR_LIST_ID;
    this.listName = options.listName ?? 'Local audience';
    this.now = options.now ?? (() => new Date());
    this.signingSecret = options.webhookSigningSecret;
    this.timeoutHoldMs = options.timeoutHoldMs ?? DEFAULT_TIMEOUT_HOLD_MS;
    this.routes = this.apiRoutes();
    this.reset();
  }

  /** Forgets every member, field, interest and webhook, and any pending fault. */
  reset(): void {
    this.members = new Map();
    this.forgotten = new Set();
    this.categories = [];
    this.interestList = [];
    this.webhookList = [];
    this.tagIds = new Map();
    this.nextWebId = 1;
    this.nextMergeId = 1;
    this.fault = undefined;
    // A new MailChimp audience comes with these two.
    this.mergeFields = [];
    this.addMergeField({ name: 'First Name', type: 'text', tag: 'FNAME' });
    this.addMergeField({ name: 'Last Name', type: 'text', tag: 'LNAME' });
  }

  /** Answers the calls a `timeout` fault is holding at once (so a server can close, or a test move on). */
  releaseHeldCalls(): void {
    for (const release of this.held) release();
    this.held.clear();
  }

  /** The next `count` API calls fail as `mode` says; `none` clears. */
  injectFault(mode: FaultMode | 'none', count = 1): void {
    this.fault = mode === 'none' || count < 1 ? undefined : { mode, remaining: count };
  }

  pendingFault(): { mode: FaultMode; remaining: number } | undefined {
    return this.fault && { ...this.fault };
  }

  /** Every member except those permanently deleted, archived ones included, oldest change first. */
  listMembers(): MemberJson[] {
    return this.sortedMembers().map((member) => this.toJson(member));
  }

  /** The subscriber clicks "unsubscribe" in a campaign. */
  async unsubscribe(
    email: string,
    options: { reason?: string; campaignId?: string } = {},
  ): Promise<HelperResult> {
    const member = this.helperMember(email);
    if (member.status !== 'subscribed') {
      throw new MailchimpEmulatorError(409, `The member is ${member.status}, not subscribed`);
    }
    member.status = 'unsubscribed';
    member.unsubscribeReason = options.reason ?? 'N/A (Unsubscribe link)';
    this.touch(member);
    const deliveries = await this.fire(
      'unsubscribe',
      [
        ['data[action]', 'unsub'],
        ['data[reason]', 'manual'],
        ...this.memberWebhookFields(member),
        ['data[campaign_id]', options.campaignId ?? ''],
      ],
      'user',
    );
    return { member: this.toJson(member), deliveries };
  }

  /** The address bounces (or its owner reports abuse) and MailChimp cleans it. */
  async clean(
    email: string,
    options: { reason?: 'hard' | 'abuse'; campaignId?: string } = {},
  ): Promise<HelperResult> {
    const member = this.helperMember(email);
    if (member.status === 'cleaned' || member.status === 'archived') {
      throw new MailchimpEmulatorError(409, `The member is ${member.status}`);
    }
    member.status = 'cleaned';
    this.touch(member);
    // Cleaning is MailChimp's own doing, so no source setting filters it out.
    const deliveries = await this.fire(
      'cleaned',
      [
        ['data[list_id]', this.listId],
        ['data[campaign_id]', options.campaignId ?? ''],
        ['data[reason]', options.reason ?? 'hard'],
        ['data[email]', member.emailAddress],
      ],
      undefined,
    );
    return { member: this.toJson(member), deliveries };
  }

  /** The subscriber edits their profile through MailChimp's preferences page. */
  async updateProfile(
    email: string,
    changes: { mergeFields?: Record<string, unknown>; interests?: Record<string, boolean> },
  ): Promise<HelperResult> {
    const member = this.helperMember(email);
    try {
      this.applyFields(member, { merge_fields: changes.mergeFields, interests: changes.interests });
    } catch (error) {
      if (error instanceof ProblemError) throw new MailchimpEmulatorError(400, error.detail);
      throw error;
    }
    this.touch(member);
    const deliveries = await this.fire('profile', this.memberWebhookFields(member), 'user');
    return { member: this.toJson(member), deliveries };
  }

  /** The subscriber changes their address through MailChimp's preferences page. */
  async changeEmail(email: string, newEmail: string): Promise<HelperResult> {
    const member = this.helperMember(email);
    const oldEmail = member.emailAddress;
    if (this.members.has(subscriberHash(newEmail)) || this.forgotten.has(subscriberHash(newEmail))) {
      throw new MailchimpEmulatorError(409, 'The new address is already in the audience');
    }
    this.rekey(member, newEmail);
    this.touch(member);
    const deliveries = await this.fire(
      'upemail',
      [
        ['data[list_id]', this.listId],
        ['data[new_id]', member.id],
        ['data[new_email]', member.emailAddress],
        ['data[old_email]', oldEmail],
      ],
      'user',
    );
    return { member: this.toJson(member), deliveries };
  }

  /** One API call: the connection limit, any injected fault, authentication, then the route. */
  async handleApi(request: EmulatorApiRequest): Promise<LocalResponse> {
    if (this.inFlight >= MAX_SIMULTANEOUS_CONNECTIONS) return problemResponse(tooManyRequests());
    this.inFlight += 1;
    try {
      const fault = this.takeFault();
      if (fault === '429') return problemResponse(tooManyRequests());
      if (fault === '503') {
        return problemResponse(
          new ProblemError(
            503,
            'Service Unavailable',
            'The server is temporarily unable to handle the request. Please try again later.',
          ),
        );
      }
      if (fault === '403-bare') {
        // MailChimp's edge refuses bursts with a bare HTML page rather than a problem document.
        return {
          statusCode: 403,
          headers: { 'Content-Type': 'text/html' },
          body: '<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>Access Denied</BODY></HTML>',
        };
      }
      const response = await this.answer(request);
      // The call takes effect but its answer comes too late: retries must be safe to repeat.
      if (fault === 'timeout') await this.hold(this.timeoutHoldMs);
      return response;
    } finally {
      this.inFlight -= 1;
    }
  }

  private takeFault(): FaultMode | undefined {
    if (!this.fault) return undefined;
    const { mode } = this.fault;
    this.fault.remaining -= 1;
    if (this.fault.remaining <= 0) this.fault = undefined;
    return mode;
  }

  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.held.add(release);
    });
  }

  private async answer(request: EmulatorApiRequest): Promise<LocalResponse> {
    try {
      this.authenticate(request.headers.authorization);
      const match = findRoute(this.routes, request.method, request.path);
      if (!match) {
        if (methodsForPath(this.routes, request.path).length > 0) {
          throw new ProblemError(
            405,
            'Method Not Allowed',
            "The requested method and resource are not compatible. See the Allow header for this resource's available methods.",
          );
        }
        throw notFound();
      }
      const params = match.pathParameters ?? {};
      if (params.list_id !== undefined && params.list_id !== this.listId) throw notFound();
      const result = await match.route.handle({ params, query: request.query, body: parseJson(request) });
      if (result.status === 204) return { statusCode: 204 };
      return {
        statusCode: result.status,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(result.body),
      };
    } catch (error) {
      if (error instanceof ProblemError) return problemResponse(error);
      throw error;
    }
  }

  private authenticate(header: string | undefined): void {
    const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (encoded === undefined) {
      throw new ProblemError(401, 'API Key Missing', 'Your request did not include an API key.');
    }
    const credentials = Buffer.from(encoded, 'base64').toString('utf8');
    const key = credentials.slice(credentials.indexOf(':') + 1);
    if (!credentials.includes(':') || key !== this.apiKey) {
      throw new ProblemError(
        401,
        'API Key Invalid',
        "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
      );
    }
  }

  private apiRoutes(): ApiRoute[] {
    const list = '/lists/{list_id}';
    const member = `${list}/members/{subscriber_hash}`;
    const category = `${list}/interest-categories/{interest_category_id}`;
    return [
      { method: 'GET', path: '/ping', handle: () => ok({ health_status: "Everything's Chimpy!" }) },
      { method: 'GET', path: list, handle: () => ok(this.listJson()) },
      { method: 'GET', path: `${list}/members`, handle: ({ query }) => ok(this.queryMembers(query)) },
      { method: 'GET', path: member, handle: ({ params }) => ok(this.toJson(this.existing(params))) },
      {
        method: 'PUT',
        path: member,
        handle: ({ params, body }) => ok(this.toJson(this.putMember(params, body))),
      },
      {
        method: 'PATCH',
        path: member,
        handle: ({ params, body }) => ok(this.toJson(this.patchMember(params, body))),
      },
      { method: 'DELETE', path: member, handle: ({ params }) => this.archive(params) },
      {
        method: 'POST',
        path: `${member}/actions/delete-permanent`,
        handle: ({ params }) => this.deletePermanently(params),
      },
      {
        method: 'GET',
        path: `${member}/tags`,
        handle: ({ params, query }) => ok(this.memberTags(params, query)),
      },
      { method: 'POST', path: `${member}/tags`, handle: ({ params, body }) => this.updateTags(params, body) },
      { method: 'GET', path: `${list}/webhooks`, handle: () => ok(this.webhooksJson()) },
      { method: 'POST', path: `${list}/webhooks`, handle: ({ body }) => this.createWebhook(body) },
      {
        method: 'GET',
        path: `${list}/webhooks/{webhook_id}`,
        handle: ({ params }) => ok(this.webhook(params)),
      },
      {
        method: 'DELETE',
        path: `${list}/webhooks/{webhook_id}`,
        handle: ({ params }) => this.deleteWebhook(params),
      },
      {
        method: 'GET',
        path: `${list}/merge-fields`,
        handle: ({ query }) =>
          ok({ merge_fields: page(this.mergeFields, query), ...this.totals(this.mergeFields) }),
      },
      { method: 'POST', path: `${list}/merge-fields`, handle: ({ body }) => ok(this.createMergeField(body)) },
      {
        method: 'GET',
        path: `${list}/interest-categories`,
        handle: ({ query }) =>
          ok({ categories: page(this.categories, query), ...this.totals(this.categories) }),
      },
      {
        method: 'POST',
        path: `${list}/interest-categories`,
        handle: ({ body }) => ok(this.createCategory(body)),
      },
      {
        method: 'GET',
        path: `${category}/interests`,
        handle: ({ params, query }) => {
          const interests = this.interestsOf(this.category(params).id);
          return ok({
            interests: page(interests, query).map((interest) => this.interestJson(interest)),
            category_id: params.interest_category_id,
            ...this.totals(interests),
          });
        },
      },
      {
        method: 'POST',
        path: `${category}/interests`,
        handle: ({ params, body }) => ok(this.interestJson(this.createInterest(params, body))),
      },
    ];
  }

  private listJson() {
    const count = (status: MemberStatus) =>
      [...this.members.values()].filter((m) => m.status === status).length;
    return {
      id: this.listId,
      name: this.listName,
      stats: {
        member_count: count('subscribed'),
        unsubscribe_count: count('unsubscribed'),
        cleaned_count: count('cleaned'),
      },
    };
  }

  private totals(items: readonly unknown[]) {
    return { list_id: this.listId, total_items: items.length };
  }

  private queryMembers(query: URLSearchParams) {
    const status = query.get('status');
    const statuses = [...settableStatus.options, 'archived'];
    if (status !== null && status !== '' && !statuses.includes(status)) {
      throw invalidResource([{ field: 'status', message: `Must be one of ${statuses.join(', ')}` }]);
    }
    const since = timeQuery(query, 'since_last_changed');
    const before = timeQuery(query, 'before_last_changed');
    const matching = this.sortedMembers().filter((member) => {
      // Archived members are listed only when asked for by status.
      if (status ? member.status !== status : member.status === 'archived') return false;
      const changed = wholeSeconds(member.lastChanged);
      return (since === undefined || changed >= since) && (before === undefined || changed < before);
    });
    return {
      members: page(matching, query).map((member) => this.toJson(member)),
      ...this.totals(matching),
    };
  }

  private sortedMembers(): Member[] {
    return [...this.members.values()].sort(
      (a, b) =>
        wholeSeconds(a.lastChanged) - wholeSeconds(b.lastChanged) || a.changeSequence - b.changeSequence,
    );
  }

  private hashFrom(params: Readonly<Record<string, string>>): string {
    const given = params.subscriber_hash ?? '';
    // MailChimp also accepts the address itself in place of its hash.
    return given.includes('@') ? subscriberHash(given) : given.toLowerCase();
  }

  private existing(params: Readonly<Record<string, string>>): Member {
    const member = this.members.get(this.hashFrom(params));
    if (!member) throw notFound();
    return member;
  }

  private putMember(params: Readonly<Record<string, string>>, body: unknown): Member {
    const hash = this.hashFrom(params);
    const input = validate(putMemberBody, body);
    if (subscriberHash(input.email_address) !== hash) throw notFound();
    if (this.forgotten.has(hash)) throw forgottenEmail(input.email_address);
    const existing = this.members.get(hash);

    // An archived contact stays archived unless the body names a status: `status_if_new` does not apply.
    if (!existing || (existing.status === 'archived' && input.status !== undefined)) {
      const status = input.status ?? input.status_if_new;
      if (status === undefined) {
        throw invalidResource([{ field: 'status_if_new', message: 'Required for a new member' }]);
      }
      checkTransition(existing?.statusBeforeArchive, status, input.email_address);
      this.checkRequiredMergeFields(existing?.mergeFields ?? {}, input.merge_fields ?? {});
      const member = existing ?? this.newMember(hash, input.email_address);
      member.emailAddress = input.email_address;
      this.applyFields(member, input);
      this.setStatus(member, status);
      member.statusBeforeArchive = undefined;
      if (!existing) this.members.set(hash, member);
      this.touch(member);
      return member;
    }

    // Here the member is archived only when no status was given.
    const { status } = input;
    if (status !== undefined && existing.status !== 'archived') {
      checkTransition(existing.status, status, input.email_address);
    }
    return this.update(existing, () => {
      existing.emailAddress = input.email_address;
      this.applyFields(existing, input);
      if (input.status !== undefined) this.setStatus(existing, input.status);
    });
  }

  private patchMember(params: Readonly<Record<string, string>>, body: unknown): Member {
    const member = this.existing(params);
    const input = validate(patchMemberBody, body);
    const from = member.status === 'archived' ? member.statusBeforeArchive : member.status;
    if (input.status !== undefined) checkTransition(from, input.status, member.emailAddress);
    const newEmail = input.email_address;
    if (newEmail !== undefined && subscriberHash(newEmail) !== member.id) {
      if (this.members.has(subscriberHash(newEmail))) {
        throw new ProblemError(400, 'Member Exists', `${newEmail} is already a list member.`);
      }
      if (this.forgotten.has(subscriberHash(newEmail))) throw forgottenEmail(newEmail);
    }
    return this.update(member, () => {
      this.applyFields(member, input);
      if (newEmail !== undefined) this.rekey(member, newEmail);
      if (input.status !== undefined) {
        this.setStatus(member, input.status);
        member.statusBeforeArchive = undefined;
      }
    });
  }

  /** Applies a change, moving `last_changed` only when the member really changed. */
  private update(member: Member, change: () => void): Member {
    const before = JSON.stringify(this.toJson(member));
    change();
    if (JSON.stringify(this.toJson(member)) !== before) this.touch(member);
    return member;
  }

  private archive(params: Readonly<Record<string, string>>): ApiResult {
    const member = this.existing(params);
    if (member.status !== 'archived') {
      member.statusBeforeArchive = member.status;
      member.status = 'archived';
      this.touch(member);
    }
    return { status: 204 };
  }

  private deletePermanently(params: Readonly<Record<string, string>>): ApiResult {
    const member = this.existing(params);
    this.members.delete(member.id);
    this.forgotten.add(member.id);
    return { status: 204 };
  }

  private memberTags(params: Readonly<Record<string, string>>, query: URLSearchParams) {
    const tags = [...this.existing(params).tags].map(([name, added]) => ({
      id: this.tagId(name),
      name,
      date_added: mailchimpTime(added),
    }));
    return { tags: page(tags, query), total_items: tags.length };
  }

  private updateTags(params: Readonly<Record<string, string>>, body: unknown): ApiResult {
    const member = this.existing(params);
    const input = validate(tagsBody, body);
    for (const { name, status } of input.tags) {
      if (status === 'inactive') member.tags.delete(name);
      else if (!member.tags.has(name)) member.tags.set(name, this.now());
    }
    return { status: 204 };
  }

  private tagId(name: string): number {
    let id = this.tagIds.get(name);
    if (id === undefined) {
      id = this.tagIds.size + 1;
      this.tagIds.set(name, id);
    }
    return id;
  }

  private newMember(id: string, emailAddress: string): Member {
    return {
      id,
      emailAddress,
      uniqueEmailId: randomBytes(5).toString('hex'),
      webId: this.nextWebId++,
      emailType: 'html',
      status: 'pending',
      statusBeforeArchive: undefined,
      unsubscribeReason: undefined,
      mergeFields: {},
      interests: {},
      tags: new Map(),
      ipSignup: '',
      timestampSignup: '',
      ipOpt: '',
      timestampOpt: '',
      language: '',
      vip: false,
      lastChanged: this.now(),
      changeSequence: 0,
    };
  }

  private setStatus(member: Member, status: SettableStatus): void {
    if (member.status === status) return;
    member.status = status;
    if (status === 'unsubscribed') member.unsubscribeReason = 'N/A (Unsubscribed by an admin)';
    else member.unsubscribeReason = undefined;
    if (status === 'subscribed' && member.timestampOpt === '')
      member.timestampOpt = mailchimpTime(this.now());
  }

  private applyFields(member: Member, input: z.infer<typeof patchMemberBody>): void {
    const known = new Set(this.mergeFields.map((field) => field.tag));
    const interestIds = new Set(this.interestList.map((interest) => interest.id));
    for (const id of Object.keys(input.interests ?? {})) {
      if (!interestIds.has(id))
        throw invalidResource([{ field: 'interests', message: `Invalid interest ID: '${id}'` }]);
    }
    // Values for tags the audience does not have are dropped, as MailChimp drops them.
    for (const [tag, value] of Object.entries(input.merge_fields ?? {})) {
      if (known.has(tag.toUpperCase())) member.mergeFields[tag.toUpperCase()] = value;
    }
    Object.assign(member.interests, input.interests ?? {});
    if (input.email_type !== undefined) member.emailType = input.email_type;
    if (input.language !== undefined) member.language = input.language;
    if (input.vip !== undefined) member.vip = input.vip;
    if (input.ip_signup !== undefined) member.ipSignup = input.ip_signup;
    if (input.timestamp_signup !== undefined) member.timestampSignup = input.timestamp_signup;
    if (input.ip_opt !== undefined) member.ipOpt = input.ip_opt;
    if (input.timestamp_opt !== undefined) member.timestampOpt = input.timestamp_opt;
  }

  private checkRequiredMergeFields(current: Record<string, unknown>, given: Record<string, unknown>): void {
    const provided = new Set(
      [...Object.entries(current), ...Object.entries(given)]
        .filter(([, value]) => value !== undefined && value !== null && value !== '')
        .map(([tag]) => tag.toUpperCase()),
    );
    const missing = this.mergeFields.filter((field) => field.required && !provided.has(field.tag));
    if (missing.length > 0) {
      throw new ProblemError(
        400,
        'Invalid Resource',
        'Your merge fields were invalid.',
        missing.map((field) => ({ field: field.tag, message: 'Please enter a value' })),
      );
    }
  }

  private rekey(member: Member, newEmail: string): void {
    this.members.delete(member.id);
    member.id = subscriberHash(newEmail);
    member.emailAddress = newEmail;
    this.members.set(member.id, member);
  }

  private touch(member: Member): void {
    member.lastChanged = this.now();
    this.changeSequence += 1;
    member.changeSequence = this.changeSequence;
  }

  private helperMember(email: string): Member {
    const member = this.members.get(subscriberHash(email));
    if (!member) throw new MailchimpEmulatorError(404, 'No such member in the audience');
    return member;
  }

  private toJson(member: Member): MemberJson {
    const mergeFields: Record<string, unknown> = {};
    for (const field of this.mergeFields) mergeFields[field.tag] = member.mergeFields[field.tag] ?? '';
    const interests: Record<string, boolean> = {};
    for (const interest of this.interestList) interests[interest.id] = member.interests[interest.id] ?? false;
    return {
      id: member.id,
      email_address: member.emailAddress,
      unique_email_id: member.uniqueEmailId,
      web_id: member.webId,
      email_type: member.emailType,
      status: member.status,
      ...(member.status === 'unsubscribed' && member.unsubscribeReason !== undefined
        ? { unsubscribe_reason: member.unsubscribeReason }
        : {}),
      merge_fields: mergeFields,
      interests,
      ip_signup: member.ipSignup,
      timestamp_signup: member.timestampSignup,
      ip_opt: member.ipOpt,
      timestamp_opt: member.timestampOpt,
      language: member.language,
      vip: member.vip,
      last_changed: mailchimpTime(member.lastChanged),
      source: 'API - Generic',
      tags_count: member.tags.size,
      tags: [...member.tags.keys()].map((name) => ({ id: this.tagId(name), name })),
      list_id: this.listId,
    };
  }

  private addMergeField(input: z.infer<typeof mergeFieldBody>): MergeField {
    const tag = (input.tag ?? input.name.replace(/[^A-Za-z0-9_]/g, '').slice(0, 10)).toUpperCase();
    if (tag === '' || tag === 'EMAIL' || this.mergeFields.some((field) => field.tag === tag)) {
      throw invalidResource([
        { field: 'tag', message: `A Merge Field with the tag "${tag}" already exists.` },
      ]);
    }
    const merge_id = this.nextMergeId++;
    const field: MergeField = {
      merge_id,
      tag,
      name: input.name,
      type: input.type,
      required: input.required ?? false,
      default_value: input.default_value ?? '',
      public: input.public ?? true,
      display_order: input.display_order ?? merge_id + 1,
      options: input.options ?? {},
      help_text: input.help_text ?? '',
      list_id: this.listId,
    };
    this.mergeFields.push(field);
    return field;
  }

  private createMergeField(body: unknown): MergeField {
    return this.addMergeField(validate(mergeFieldBody, body));
  }

  private createCategory(body: unknown): InterestCategory {
    const input = validate(interestCategoryBody, body);
    if (this.categories.some((category) => category.title === input.title)) {
      throw invalidResource([
        {
          field: 'title',
          message: `Cannot add "${input.title}" because it already exists on the list.`,
        },
      ]);
    }
    const category: InterestCategory = {
      list_id: this.listId,
      id: randomBytes(5).toString('hex'),
      title: input.title,
      display_order: input.display_order ?? this.categories.length,
      type: input.type,
    };
    this.categories.push(category);
    return category;
  }

  private category(params: Readonly<Record<string, string>>): InterestCategory {
    const category = this.categories.find((c) => c.id === params.interest_category_id);
    if (!category) throw notFound();
    return category;
  }

  private interestsOf(categoryId: string): Interest[] {
    return this.interestList.filter((interest) => interest.category_id === categoryId);
  }

  private createInterest(params: Readonly<Record<string, string>>, body: unknown): Interest {
    const category = this.category(params);
    const input = validate(interestBody, body);
    if (this.interestsOf(category.id).some((interest) => interest.name === input.name)) {
      throw invalidResource([
        { field: 'name', message: `Cannot add "${input.name}" because it already exists on the list.` },
      ]);
    }
    const interest: Interest = {
      category_id: category.id,
      list_id: this.listId,
      id: randomBytes(5).toString('hex'),
      name: input.name,
      display_order: input.display_order ?? this.interestsOf(category.id).length,
    };
    this.interestList.push(interest);
    return interest;
  }

  private interestJson(interest: Interest) {
    const subscribers = [...this.members.values()].filter((m) => m.interests[interest.id] === true).length;
    return { ...interest, subscriber_count: String(subscribers) };
  }

  private webhooksJson() {
    return { webhooks: this.webhookList, ...this.totals(this.webhookList) };
  }

  private webhook(params: Readonly<Record<string, string>>): Webhook {
    const webhook = this.webhookList.find((w) => w.id === params.webhook_id);
    if (!webhook) throw notFound();
    return webhook;
  }

  private deleteWebhook(params: Readonly<Record<string, string>>): ApiResult {
    const webhook = this.webhook(params);
    this.webhookList = this.webhookList.filter((w) => w !== webhook);
    return { status: 204 };
  }

  private async createWebhook(body: unknown): Promise<ApiResult> {
    const input = validate(webhookBody, body);
    if (this.webhookList.some((w) => w.url === input.url)) {
      throw invalidResource([
        { field: 'url', message: 'A webhook with this URL already exists on the list.' },
      ]);
    }
    // MailChimp saves a webhook only after its URL answers a GET.
    if (!(await urlAnswers(input.url))) {
      throw invalidResource([
        { field: 'url', message: 'The URL did not answer the validation request with a 2xx status.' },
      ]);
    }
    const webhook: Webhook = {
      id: randomBytes(5).toString('hex'),
      url: input.url,
      events: {
        subscribe: true,
        unsubscribe: true,
        profile: true,
        cleaned: true,
        upemail: true,
        campaign: true,
        ...definedOnly(input.events ?? {}),
      },
      sources: { user: true, admin: true, api: false, ...definedOnly(input.sources ?? {}) },
      list_id: this.listId,
    };
    this.webhookList.push(webhook);
    return ok(webhook);
  }

  /** The fields MailChimp sends about a member in subscribe, unsubscribe and profile webhooks. */
  private memberWebhookFields(member: Member): [string, string][] {
    const fields: [string, string][] = [
      ['data[id]', member.id],
      ['data[email]', member.emailAddress],
      ['data[email_type]', member.emailType],
      ['data[ip_opt]', member.ipOpt],
      ['data[web_id]', String(member.webId)],
      ['data[merges][EMAIL]', member.emailAddress],
    ];
    for (const field of this.mergeFields) {
      fields.push([`data[merges][${field.tag}]`, webhookValue(member.mergeFields[field.tag])]);
    }
    const chosen = this.interestList.filter((interest) => member.interests[interest.id]);
    if (this.interestList.length > 0) {
      fields.push(['data[merges][INTERESTS]', chosen.map((interest) => interest.name).join(', ')]);
    }
    fields.push(['data[list_id]', this.listId]);
    return fields;
  }

  private async fire(
    type: WebhookType,
    fields: [string, string][],
    source: WebhookSource | undefined,
  ): Promise<WebhookDelivery[]> {
    const body = new URLSearchParams([
      ['type', type],
      ['fired_at', firedAt(this.now())],
      ...fields,
    ]).toString();
    const targets = this.webhookList.filter(
      (webhook) => webhook.events[type] && (source === undefined || webhook.sources[source]),
    );
    return Promise.all(targets.map((webhook) => this.deliver(webhook.url, body)));
  }

  private async deliver(url: string, body: string): Promise<WebhookDelivery> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'MailChimp.com',
    };
    if (this.signingSecret !== undefined) {
      headers['X-Mailchimp-Signature'] = webhookSignature(this.signingSecret, body, this.now());
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return { url, status: response.status };
    } catch (error) {
      return { url, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`: the emulator's optional signature. */
export function webhookSignature(secret: string, rawBody: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

export function mailchimpEmulatorBasePath(localBaseUrl: string): string {
  return `${localBaseUrl.replace(/\/+$/, '')}${MAILCHIMP_EMULATOR_PREFIX}`;
}

export interface MailchimpEmulatorService extends LocalService {
  readonly emulator: MailchimpEmulator;
  /** The official client's `basePath` (the local server's URL plus `/mailchimp/3.0`), once started. */
  readonly apiBaseUrl: string;
}

/** The emulator as a local service: the API under `/mailchimp/3.0` and the `/__local/mailchimp/*` helpers. */
export function mailchimpEmulatorService(options: MailchimpEmulatorOptions): MailchimpEmulatorService {
  let clock: LocalClock | undefined;
  let apiBaseUrl: string | undefined;
  const emulator = new MailchimpEmulator({
    ...options,
    now: options.now ?? (() => clock?.now() ?? new Date()),
  });

  const api = (method: LocalRoute['method']): LocalRoute => ({
    method,
    path: `${MAILCHIMP_EMULATOR_PREFIX}/{path+}`,
    handle: (request) =>
      emulator.handleApi({
        method: request.method,
        path: request.pathname.slice(MAILCHIMP_EMULATOR_PREFIX.length),
        query: request.query,
        headers: request.headers,
        body: request.body,
      }),
  });

  const helper = <T>(schema: z.ZodType<T>, act: (input: T) => Promise<unknown> | unknown) => {
    return async (request: LocalRequest): Promise<LocalResponse> => {
      let json: unknown;
      try {
        json = JSON.parse(request.body.toString('utf8'));
      } catch {
        return jsonResponse(400, { message: 'The body must be JSON' });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return jsonResponse(400, { message: z.prettifyError(parsed.error) });
      try {
        return jsonResponse(200, await act(parsed.data));
      } catch (error) {
        if (error instanceof MailchimpEmulatorError)
          return jsonResponse(error.statusCode, { message: error.message });
        throw error;
      }
    };
  };

  const email = z.email();
  return {
    name: 'mailchimp-emulator',
    emulator,
    get apiBaseUrl() {
      if (apiBaseUrl === undefined) throw new Error('The MailChimp emulator has not been started');
      return apiBaseUrl;
    },
    routes: [
      api('GET'),
      api('POST'),
      api('PUT'),
      api('PATCH'),
      api('DELETE'),
      {
        method: 'GET',
        path: '/__local/mailchimp/members',
        handle: () => jsonResponse(200, emulator.listMembers()),
      },
      {
        method: 'POST',
        path: '/__local/mailchimp/unsubscribe',
        handle: helper(
          z.object({ email, reason: z.string().optional(), campaignId: z.string().optional() }),
          ({ email, ...options }) => emulator.unsubscribe(email, options),
        ),
      },
      {
        method: 'POST',
        path: '/__local/mailchimp/clean',
        handle: helper(
          z.object({
            email,
            reason: z.enum(['hard', 'abuse']).optional(),
            campaignId: z.string().optional(),
          }),
          ({ email, ...options }) => emulator.clean(email, options),
        ),
      },
      {
        method: 'POST',
        path: '/__local/mailchimp/profile',
        handle: helper(
          z.object({
            email,
            // Shorthands for the FNAME and LNAME merge fields every audience starts with.
            firstName: z.string().optional(),
            lastName: z.string().optional(),
            mergeFields: z.record(z.string(), z.unknown()).optional(),
            interests: z.record(z.string(), z.boolean()).optional(),
          }),
          ({ email, firstName, lastName, mergeFields, interests }) =>
            emulator.updateProfile(email, {
              mergeFields: {
                ...mergeFields,
                ...(firstName === undefined ? {} : { FNAME: firstName }),
                ...(lastName === undefined ? {} : { LNAME: lastName }),
              },
              interests,
            }),
        ),
      },
      ...['/__local/mailchimp/change-email', '/__local/mailchimp/upemail'].map(
        (path): LocalRoute => ({
          method: 'POST',
          path,
          handle: helper(z.object({ email, newEmail: email }), ({ email, newEmail }) =>
            emulator.changeEmail(email, newEmail),
          ),
        }),
      ),
      {
        method: 'POST',
        path: '/__local/mailchimp/faults',
        handle: helper(
          z.object({
            mode: z.enum(['503', '429', '403-bare', 'timeout', 'none']),
            count: z.number().int().min(1).max(1000).optional(),
          }),
          ({ mode, count }) => {
            emulator.injectFault(mode, count ?? 1);
            return { pending: emulator.pendingFault() ?? null };
          },
        ),
      },
    ],
    async start(context) {
      clock = context.clock;
      apiBaseUrl = mailchimpEmulatorBasePath(context.baseUrl);
    },
    async stop() {
      emulator.releaseHeldCalls();
    },
  };
}

function ok(body: unknown): ApiResult {
  return { status: 200, body };
}

function problemResponse(problem: ProblemError): LocalResponse {
  return {
    statusCode: problem.status,
    headers: { 'Content-Type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({
      type: PROBLEM_TYPE,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: randomUUID(),
      ...(problem.errors ? { errors: problem.errors } : {}),
    }),
  };
}

function parseJson(request: EmulatorApiRequest): unknown {
  const text = request.body.toString('utf8').trim();
  if (text === '' || request.method === 'GET' || request.method === 'DELETE') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError(400, 'JSON Parse Error', 'We encountered an unspecified JSON parsing error.');
  }
}

function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw invalidResource(
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
  );
}

/** MailChimp's status rules: an unsubscribe or bounce cannot be undone through the API. */
function checkTransition(from: SettableStatus | undefined, to: SettableStatus, email: string): void {
  if (to === 'cleaned') {
    throw invalidResource([{ field: 'status', message: 'Only MailChimp cleans an address' }]);
  }
  if (from === 'unsubscribed' && to === 'subscribed') throw complianceState(email);
  if (from === 'cleaned' && (to === 'subscribed' || to === 'pending')) throw complianceState(email);
}

/** MailChimp's timestamps: ISO 8601 to the second with an explicit offset. */
function mailchimpTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Webhooks' `fired_at`: `YYYY-MM-DD HH:MM:SS`. */
function firedAt(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}

function timeQuery(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  // An unencoded `+` in the offset arrives as a space.
  const time = Date.parse(text.replace(' ', '+'));
  if (Number.isNaN(time)) throw invalidResource([{ field: name, message: 'Must be an ISO 8601 time' }]);
  return time;
}

/** MailChimp's paging: `count` (default 10, at most 1000) from `offset`. */
function page<T>(items: readonly T[], query: URLSearchParams): T[] {
  const count = Math.min(Math.max(integer(query.get('count')) ?? 10, 0), 1000);
  const offset = Math.max(integer(query.get('offset')) ?? 0, 0);
  return items.slice(offset, offset + count);
}

function integer(text: string | null): number | undefined {
  return text !== null && /^\d+$/.test(text) ? Number(text) : undefined;
}

function definedOnly<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function webhookValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

async function urlAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      headers: { 'User-Agent': 'MailChimp.com WebHook Validator' },
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
