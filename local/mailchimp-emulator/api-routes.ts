/**
 * The emulator's Marketing API v3.0: the subset the product (and its setup command) calls through the
 * official client, with MailChimp's authentication, paging, errors and answers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { MemberStatus } from '../../shared/adapters/mailchimp/audience.ts';
import { findRoute, methodsForPath } from '../routing.ts';
import type { LocalResponse } from '../services.ts';
import type { AudienceFields, Interest } from './audience-fields.ts';
import { type MemberStore, settableStatus, wholeSeconds } from './members.ts';
import { invalidResource, notFound, ProblemError, problemResponse } from './problems.ts';
import type { Webhooks } from './webhooks.ts';

/** A call to the API, with the path after `/3.0` (e.g. `/lists/local-list/members`). */
export interface EmulatorApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The audience the API serves. */
export interface EmulatedAudience {
  readonly listId: string;
  readonly listName: string;
  readonly apiKey: string;
  readonly members: MemberStore;
  readonly fields: AudienceFields;
  readonly webhooks: Webhooks;
}

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

/** Answers API calls for `audience`: authentication, then the route, errors as problem documents. */
export function marketingApi(
  audience: EmulatedAudience,
): (request: EmulatorApiRequest) => Promise<LocalResponse> {
  const routes = apiRoutes(audience);
  return async (request) => {
    try {
      authenticate(audience.apiKey, request.headers.authorization);
      const match = findRoute(routes, request.method, request.path);
      if (!match) {
        if (methodsForPath(routes, request.path).length > 0) {
          throw new ProblemError(
            405,
            'Method Not Allowed',
            "The requested method and resource are not compatible. See the Allow header for this resource's available methods.",
          );
        }
        throw notFound();
      }
      const params = match.pathParameters ?? {};
      if (params.list_id !== undefined && params.list_id !== audience.listId) throw notFound();
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
  };
}

function apiRoutes(audience: EmulatedAudience): ApiRoute[] {
  const { members, fields, webhooks } = audience;
  const list = '/lists/{list_id}';
  const member = `${list}/members/{subscriber_hash}`;
  const category = `${list}/interest-categories/{interest_category_id}`;
  const totals = (items: readonly unknown[]) => ({ list_id: audience.listId, total_items: items.length });
  const interestJson = (interest: Interest) => ({
    ...interest,
    subscriber_count: String(members.count((m) => m.interests[interest.id] === true)),
  });
  const count = (status: MemberStatus) => members.count((m) => m.status === status);
  return [
    { method: 'GET', path: '/ping', handle: () => ok({ health_status: "Everything's Chimpy!" }) },
    {
      method: 'GET',
      path: list,
      handle: () =>
        ok({
          id: audience.listId,
          name: audience.listName,
          stats: {
            member_count: count('subscribed'),
            unsubscribe_count: count('unsubscribed'),
            cleaned_count: count('cleaned'),
          },
        }),
    },
    {
      method: 'GET',
      path: `${list}/members`,
      handle: ({ query }) => {
        const matching = queryMembers(members, query);
        return ok({ members: page(matching, query).map((m) => members.toJson(m)), ...totals(matching) });
      },
    },
    {
      method: 'GET',
      path: member,
      handle: ({ params }) => ok(members.toJson(members.existing(params.subscriber_hash))),
    },
    {
      method: 'PUT',
      path: member,
      handle: ({ params, body }) => ok(members.toJson(members.put(params.subscriber_hash, body))),
    },
    {
      method: 'PATCH',
      path: member,
      handle: ({ params, body }) => {
        const oldEmail = members.existing(params.subscriber_hash).emailAddress;
        const changed = members.patch(params.subscriber_hash, body);
        if (changed.emailAddress !== oldEmail) {
          // As MailChimp does: an address changed through the API is reported only to webhooks that ask
          // for API-made changes (ours does not, so our own move is never echoed back).
          void webhooks.fire(
            'upemail',
            [
              ['data[list_id]', audience.listId],
              ['data[new_id]', changed.id],
              ['data[new_email]', changed.emailAddress],
              ['data[old_email]', oldEmail],
            ],
            'api',
          );
        }
        return ok(members.toJson(changed));
      },
    },
    {
      method: 'DELETE',
      path: member,
      handle: ({ params }) => {
        members.archive(params.subscriber_hash);
        return NO_CONTENT;
      },
    },
    {
      method: 'POST',
      path: `${member}/actions/delete-permanent`,
      handle: ({ params }) => {
        members.deletePermanently(params.subscriber_hash);
        return NO_CONTENT;
      },
    },
    {
      method: 'GET',
      path: `${member}/tags`,
      handle: ({ params, query }) => {
        const tags = members.tagsOf(params.subscriber_hash);
        return ok({ tags: page(tags, query), total_items: tags.length });
      },
    },
    {
      method: 'POST',
      path: `${member}/tags`,
      handle: ({ params, body }) => {
        members.updateTags(params.subscriber_hash, body);
        return NO_CONTENT;
      },
    },
    {
      method: 'GET',
      path: `${list}/webhooks`,
      handle: () => ok({ webhooks: webhooks.all, ...totals(webhooks.all) }),
    },
    {
      method: 'POST',
      path: `${list}/webhooks`,
      handle: async ({ body }) => ok(await webhooks.register(body)),
    },
    {
      method: 'GET',
      path: `${list}/webhooks/{webhook_id}`,
      handle: ({ params }) => ok(webhooks.find(params.webhook_id)),
    },
    {
      method: 'DELETE',
      path: `${list}/webhooks/{webhook_id}`,
      handle: ({ params }) => {
        webhooks.remove(params.webhook_id);
        return NO_CONTENT;
      },
    },
    {
      method: 'GET',
      path: `${list}/merge-fields`,
      handle: ({ query }) =>
        ok({ merge_fields: page(fields.mergeFields, query), ...totals(fields.mergeFields) }),
    },
    { method: 'POST', path: `${list}/merge-fields`, handle: ({ body }) => ok(fields.createMergeField(body)) },
    {
      method: 'GET',
      path: `${list}/interest-categories`,
      handle: ({ query }) => ok({ categories: page(fields.categories, query), ...totals(fields.categories) }),
    },
    {
      method: 'POST',
      path: `${list}/interest-categories`,
      handle: ({ body }) => ok(fields.createCategory(body)),
    },
    {
      method: 'GET',
      path: `${category}/interests`,
      handle: ({ params, query }) => {
        const interests = fields.interestsOf(fields.category(params.interest_category_id).id);
        return ok({
          interests: page(interests, query).map(interestJson),
          category_id: params.interest_category_id,
          ...totals(interests),
        });
      },
    },
    {
      method: 'POST',
      path: `${category}/interests`,
      handle: ({ params, body }) =>
        ok(interestJson(fields.createInterest(params.interest_category_id, body))),
    },
  ];
}

/** GET /members: by status (archived only when asked for) and `last_changed` window, oldest change first. */
function queryMembers(members: MemberStore, query: URLSearchParams) {
  const status = query.get('status');
  const statuses = [...settableStatus.options, 'archived'];
  if (status !== null && status !== '' && !statuses.includes(status)) {
    throw invalidResource([{ field: 'status', message: `Must be one of ${statuses.join(', ')}` }]);
  }
  const since = timeQuery(query, 'since_last_changed');
  const before = timeQuery(query, 'before_last_changed');
  return members.sorted().filter((member) => {
    if (status ? member.status !== status : member.status === 'archived') return false;
    const changed = wholeSeconds(member.lastChanged);
    return (since === undefined || changed >= since) && (before === undefined || changed < before);
  });
}

function authenticate(apiKey: string, header: string | undefined): void {
  const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) {
    throw new ProblemError(401, 'API Key Missing', 'Your request did not include an API key.');
  }
  const credentials = Buffer.from(encoded, 'base64').toString('utf8');
  const key = credentials.slice(credentials.indexOf(':') + 1);
  if (!credentials.includes(':') || key !== apiKey) {
    throw new ProblemError(
      401,
      'API Key Invalid',
      "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
    );
  }
}

function ok(body: unknown): ApiResult {
  return { status: 200, body };
}

/** The answer of a call that changed something and has nothing to say. */
const NO_CONTENT: ApiResult = { status: 204 };

function parseJson(request: EmulatorApiRequest): unknown {
  const text = request.body.toString('utf8').trim();
  if (text === '' || request.method === 'GET' || request.method === 'DELETE') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError(400, 'JSON Parse Error', 'We encountered an unspecified JSON parsing error.');
  }
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
