/**
 * One MailChimp audience (list), as the rest of the system uses it. Every call has a client timeout, is retried
 * with full-jitter exponential back-off when MailChimp says "later" (rate limits, 5xx, timeouts, network), and
 * waits for a slot in a per-container limiter.
 *
 * MailChimp allows 10 simultaneous connections per account and answers 429 (or a bare 403) beyond that. The
 * limiter bounds one container; the account-wide bound is the calling function's reserved concurrency times
 * `maxConcurrent` (e.g. 2 x 5), so set both together. Worst case, a call takes `attempts` timeouts plus the
 * back-off between them: the function's own timeout must be longer.
 */
// zod/mini, as in shared/config: the sync and reconcile functions load this, and full zod costs ~50 ms of
// cold start.
import * as z from 'zod/mini';
import { subscriberHash } from '../../domain/subscriber-hash.ts';
import type {
  AudienceSetup,
  ChangedMember,
  MailchimpAudience,
  MemberUpsert,
} from '../../ports/mailchimp-audience.ts';
import { limitConcurrency } from '../../support/concurrency.ts';
import { type RetryPolicy, retryWithBackOff } from '../../support/retry.ts';
import { connectMailchimp, type MailchimpApi } from './client.ts';
import { MailchimpError, type MailchimpErrorCode, toMailchimpError } from './errors.ts';

// The port's shapes, for the code (tests, the local emulator) that reaches the adapter directly.
export type * from '../../ports/mailchimp-audience.ts';
export type { RetryPolicy };

export interface MailchimpAudienceOptions {
  readonly apiKey: string;
  readonly server: string;
  readonly listId: string;
  /** Another base URL (a local emulator); the official client is used either way. */
  readonly basePath?: string | undefined;
  /** Per request; well under the Lambda timeout, and far under MailChimp's own 120 s. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Requests in flight from this container at once. */
  readonly maxConcurrent?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1), as `Math.random`. */
  readonly random?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };
const DEFAULT_MAX_CONCURRENT = 5;
const MAX_PAGE_SIZE = 1_000;

const UPSERT_STATUS: Readonly<Record<NonNullable<MemberUpsert['status']>, string>> = {
  unsubscribed: 'unsubscribed',
  pending: 'pending',
  restoreArchived: 'subscribed',
};
/** MailChimp allows 80 merge fields to an audience; one page of this size holds them all. */
const MERGE_FIELD_PAGE = 1_000;

// Failures that mean the member is already gone, which is what these calls wanted.
const GONE: ReadonlySet<MailchimpErrorCode> = new Set(['notFound', 'forgotten']);

const MEMBER_FIELDS = [
  'email_address',
  'status',
  'last_changed',
  'unsubscribe_reason',
  'merge_fields',
  'interests',
  'tags',
];
const CHANGED_FIELDS = [
  'members.email_address',
  'members.status',
  'members.last_changed',
  'members.unsubscribe_reason',
  'total_items',
];

const memberSchema = z.object({
  email_address: z.string(),
  status: z.enum(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived']),
  last_changed: z.string(),
  unsubscribe_reason: z.optional(z.string()),
  merge_fields: z.optional(z.record(z.string(), z.unknown())),
  interests: z.optional(z.record(z.string(), z.boolean())),
  tags: z.optional(z.array(z.object({ name: z.string() }))),
});

const flags = <K extends string>(keys: readonly [K, ...K[]]) =>
  z.pipe(
    z.partialRecord(z.enum(keys), z.boolean()),
    z.transform(
      (given) => Object.fromEntries(keys.map((key) => [key, given[key] ?? false])) as Record<K, boolean>,
    ),
  );

const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: flags(['subscribe', 'unsubscribe', 'profile', 'cleaned', 'upemail', 'campaign']),
  sources: flags(['user', 'admin', 'api']),
});

const webhookListSchema = z.object({ webhooks: z.array(webhookSchema) });

const MERGE_FIELD_FIELDS = [
  'merge_fields.tag',
  'merge_fields.name',
  'merge_fields.type',
  'merge_fields.required',
  'merge_fields.public',
];

const mergeFieldSchema = z.object({
  tag: z.string(),
  name: z.string(),
  type: z.string(),
  required: z.boolean(),
  public: z.boolean(),
});

const mergeFieldListSchema = z.object({ merge_fields: z.array(mergeFieldSchema) });

const changedPageSchema = z.object({
  members: z.array(
    z.pick(memberSchema, { email_address: true, status: true, last_changed: true, unsubscribe_reason: true }),
  ),
  total_items: z.number(),
});

export function createMailchimpAudience(
  options: MailchimpAudienceOptions,
): MailchimpAudience & AudienceSetup {
  if (options.listId.trim() === '') throw new Error('The MailChimp list id is empty');
  const retry = options.retry ?? DEFAULT_RETRY;
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
    throw new Error('MailChimp retry attempts must be a whole number of at least 1');
  }
  const api = connectMailchimp({
    apiKey: options.apiKey,
    server: options.server,
    basePath: options.basePath,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const { listId } = options;
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)
    throw new Error('MailChimp concurrency must be a whole number of at least 1');
  const limit = limitConcurrency(maxConcurrent);
  const retryOptions = {
    policy: retry,
    // A "later" from MailChimp waits what it asked for (Retry-After), or the jittered back-off; a longer
    // pause than the policy allows gives up at once and leaves it to the caller's queue.
    retryable: (error: unknown) =>
      error instanceof MailchimpError &&
      error.retryable &&
      (error.retryAfterMs === undefined || { afterMs: error.retryAfterMs }),
    sleep: options.sleep,
    random: options.random,
  };

  function send<T>(request: (api: MailchimpApi) => Promise<T>): Promise<T> {
    return retryWithBackOff(async () => {
      try {
        return await limit(() => request(api));
      } catch (thrown) {
        throw toMailchimpError(thrown);
      }
    }, retryOptions);
  }

  async function sendExpectingGone(request: (api: MailchimpApi) => Promise<unknown>): Promise<void> {
    try {
      await send(request);
    } catch (error) {
      if (error instanceof MailchimpError && GONE.has(error.code)) return;
      throw error;
    }
  }

  return {
    async upsertMember(email, upsert) {
      // Mapped one by one, so no other value an untyped caller passes can reach MailChimp as a status.
      const status =
        upsert.status !== undefined && Object.hasOwn(UPSERT_STATUS, upsert.status)
          ? UPSERT_STATUS[upsert.status]
          : undefined;
      const body = {
        email_address: email,
        status_if_new: upsert.statusIfNew,
        ...(status === undefined ? {} : { status }),
        ...(upsert.mergeFields === undefined ? {} : { merge_fields: upsert.mergeFields }),
        ...(upsert.interests === undefined ? {} : { interests: upsert.interests }),
      };
      await send((mc) => mc.setListMember(listId, subscriberHash(email), body));
    },

    async setTags(email, tags) {
      if (tags.length === 0) return;
      const body = {
        tags: tags.map((tag) => ({ name: tag.name, status: tag.active ? 'active' : 'inactive' })),
      };
      await send((mc) => mc.updateListMemberTags(listId, subscriberHash(email), body));
    },

    unsubscribe: (email) =>
      sendExpectingGone((mc) =>
        mc.updateListMember(listId, subscriberHash(email), { status: 'unsubscribed' }),
      ),

    async changeEmail(from, to) {
      try {
        await send((mc) => mc.updateListMember(listId, subscriberHash(from), { email_address: to }));
        return 'moved';
      } catch (error) {
        // Only "no member at the old address" means there is nothing to move; a refusal concerns the new one.
        if (error instanceof MailchimpError && error.code === 'notFound') return 'absent';
        throw error;
      }
    },

    archive: (email) => sendExpectingGone((mc) => mc.deleteListMember(listId, subscriberHash(email))),

    forget: (email) => sendExpectingGone((mc) => mc.deleteListMemberPermanent(listId, subscriberHash(email))),

    async getMember(email) {
      let data: unknown;
      try {
        data = await send((mc) => mc.getListMember(listId, subscriberHash(email), { fields: MEMBER_FIELDS }));
      } catch (error) {
        if (error instanceof MailchimpError && error.code === 'notFound') return undefined;
        throw error;
      }
      const member = parse(memberSchema, data);
      return {
        email: member.email_address,
        status: member.status,
        lastChanged: member.last_changed,
        ...(member.unsubscribe_reason ? { unsubscribeReason: member.unsubscribe_reason } : {}),
        mergeFields: member.merge_fields ?? {},
        interests: member.interests ?? {},
        tags: (member.tags ?? []).map((tag) => tag.name),
      };
    },

    async changedSince(sinceIso, statuses, page) {
      if (!Number.isInteger(page.count) || page.count < 1 || page.count > MAX_PAGE_SIZE) {
        throw new RangeError(`A page holds 1 to ${MAX_PAGE_SIZE} members`);
      }
      if (!Number.isInteger(page.offset) || page.offset < 0)
        throw new RangeError('The offset must be 0 or more');
      if (statuses.length === 0) return { members: [], total: 0 };
      const wanted = new Set<string>(statuses);
      const onlyStatus = wanted.size === 1 ? statuses[0] : undefined;
      const data = await send((mc) =>
        mc.getListMembersInfo(listId, {
          sinceLastChanged: sinceIso,
          ...(onlyStatus === undefined ? {} : { status: onlyStatus }),
          count: page.count,
          offset: page.offset,
          sortField: 'last_changed',
          sortDir: 'ASC',
          fields: CHANGED_FIELDS,
        }),
      );
      const result = parse(changedPageSchema, data);
      const members: ChangedMember[] = [];
      for (const member of result.members) {
        if (member.status !== 'unsubscribed' && member.status !== 'cleaned') continue;
        if (!wanted.has(member.status)) continue;
        members.push({
          email: member.email_address,
          status: member.status,
          lastChanged: member.last_changed,
          ...(member.unsubscribe_reason ? { unsubscribeReason: member.unsubscribe_reason } : {}),
        });
      }
      return { members, total: result.total_items };
    },

    async ping() {
      await send((mc) => mc.ping());
    },

    async listWebhooks() {
      return parse(webhookListSchema, await send((mc) => mc.getListWebhooks(listId))).webhooks;
    },

    async createWebhook(settings) {
      const body = { url: settings.url, events: settings.events, sources: settings.sources };
      return parse(webhookSchema, await send((mc) => mc.createListWebhook(listId, body)));
    },

    deleteWebhook: (webhookId) => sendExpectingGone((mc) => mc.deleteListWebhook(listId, webhookId)),

    async listMergeFields() {
      const data = await send((mc) =>
        mc.getListMergeFields(listId, { count: MERGE_FIELD_PAGE, fields: MERGE_FIELD_FIELDS }),
      );
      return parse(mergeFieldListSchema, data).merge_fields;
    },

    async createMergeField(field) {
      const body = {
        tag: field.tag,
        name: field.name,
        type: field.type,
        required: field.required,
        public: field.public,
      };
      return parse(mergeFieldSchema, await send((mc) => mc.addListMergeField(listId, body)));
    },
  };
}

function parse<T>(schema: z.ZodMiniType<T>, data: unknown): T {
  const result = z.safeParse(schema, data);
  // The validation issues are dropped: they can quote the values, which may be personal data.
  if (!result.success) throw new MailchimpError('server', { cause: new Error('Unexpected response shape') });
  return result.data;
}
