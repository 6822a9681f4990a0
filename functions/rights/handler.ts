/**
 * The data-subject rights function: GET /people, the subject-request register and its actions (staff,
 * behind the Cognito authorizer; the groups shared/domain/staff-routes.ts names), the public pages (the
 * privacy centre, the complaint form, and the page by which a person confirms a request is theirs; see
 * people-pages.ts), and the daily digest (an EventBridge schedule). Middy wiring and
 * the mapping between events and the rights use cases only.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, ScheduledEvent } from 'aws-lambda';
import { createImportChecks } from '#shared/adapters/dynamodb/import-checks.ts';
import { dynamoMailQueue } from '#shared/adapters/dynamodb/outbox.ts';
import { createPersonalDataStore } from '#shared/adapters/dynamodb/personal-data.ts';
import { createRelationshipStore } from '#shared/adapters/dynamodb/relationships.ts';
import { createStaffReads } from '#shared/adapters/dynamodb/staff-reads.ts';
import { createRequestRegister } from '#shared/adapters/dynamodb/subject-requests.ts';
import { signedPageCursors } from '#shared/adapters/page-cursors.ts';
import { secretReader } from '#shared/adapters/secrets.ts';
import { turnstileVerifier } from '#shared/adapters/turnstile.ts';
import { readApiBaseUrl } from '#shared/api-base-url.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies, documentClient, linkSigningKeys } from '#shared/dependencies.ts';
import { httpEdge } from '#shared/http/edge.ts';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '#shared/http/errors.ts';
import { header, mediaType } from '#shared/http/request.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { routeByResource } from '#shared/http/router.ts';
import { callerOf, type StaffEvent, staffCaller } from '#shared/http/staff-auth.ts';
import { countMetric, logContext } from '#shared/log.ts';
import { type ImportDeps, importContacts } from '#shared/use-cases/import-contacts.ts';
import { lookUpPerson } from '#shared/use-cases/people-lookup.ts';
import type { PeoplePagesDeps } from '#shared/use-cases/people-pages-deps.ts';
import { recordRelationship } from '#shared/use-cases/relationships.ts';
import { sendRequestDigest } from '#shared/use-cases/request-digest.ts';
import type { ParsedAction } from '#shared/use-cases/subject-request-input.ts';
import {
  actOnSubjectRequest,
  listSubjectRequests,
  type RightsDeps,
  readRequestExport,
  readSubjectRequest,
  receiveSubjectRequest,
} from '#shared/use-cases/subject-requests.ts';
import { PEOPLE_PAGE_RESOURCES, peoplePageRoutes } from './people-pages.ts';

const config = readFunctionConfig({
  required: ['emailHashKey', 'tokenSigningKeys'],
  requiredFor: (app) => (app.peoplePages.turnstile ? (['turnstileSecret'] as const) : []),
});
// Links in verification emails start from the deployment's URL, never from the request's Host.
const apiBaseUrl = readApiBaseUrl();
const db = documentClient(config);
const linkKeys = linkSigningKeys(config);

export const dependencies: RightsDeps & ImportDeps = {
  config: config.app,
  // Set by the stack when the deployment syncs a MailChimp audience.
  mailchimpInUse: process.env.MAILCHIMP_IN_USE === 'true',
  register: createRequestRegister(db, config.tableName),
  personalData: createPersonalDataStore(db, config.tableName),
  importChecks: createImportChecks(db, config.tableName),
  relationships: createRelationshipStore(db, config.tableName),
  ...contactDependencies(config, db),
  reads: createStaffReads(db, config.tableName),
  linkKeys,
  cursors: signedPageCursors(linkKeys),
  // Its emails go to the outbox; only the mailer sends.
  mailQueue: dynamoMailQueue(db, config.tableName),
  clock: now,
  newId: randomUUID,
};

const { turnstileSecret } = config.secrets;
/** The privacy centre and complaint forms: the same, with Turnstile when the deployment turns it on. */
const peopleDependencies: PeoplePagesDeps = {
  ...dependencies,
  turnstile:
    config.app.peoplePages.turnstile && turnstileSecret
      ? turnstileVerifier({ verifyUrl: config.turnstileVerifyUrl, secret: secretReader(turnstileSecret) })
      : undefined,
};
/** Staff JSON bodies are small: a request and its changes, or one action's reason. */
const MAX_JSON_BYTES = 16 * 1024;

/** A JSON object body, or a 415/413/400 naming only the problem. */
function jsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === '') return {};
  if (mediaType(header(event, 'content-type')) !== 'application/json') throw new UnsupportedMediaTypeError();
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_JSON_BYTES) throw new PayloadTooLargeError(MAX_JSON_BYTES);
  try {
    return JSON.parse(text);
  } catch {
    // No cause: JSON.parse messages quote the input.
    throw new InvalidRequestError({ body: 'invalid' });
  }
}

/** An import file: a few MB of CSV, well inside Lambda's 6 MB request limit. */
const MAX_CSV_BYTES = 4 * 1024 * 1024;

/** A `text/csv` body, or a 415/413 naming only the problem. */
function csvBody(event: APIGatewayProxyEvent): string {
  if (mediaType(header(event, 'content-type')) !== 'text/csv') throw new UnsupportedMediaTypeError();
  const text = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(text) > MAX_CSV_BYTES) throw new PayloadTooLargeError(MAX_CSV_BYTES);
  return text;
}

/** `?dryRun=true` reports what an import would do and writes nothing. */
function dryRunOf(event: APIGatewayProxyEvent): boolean {
  const value = event.queryStringParameters?.dryRun;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new InvalidRequestError({ dryRun: 'invalid' });
}

const requestId = (event: APIGatewayProxyEvent) => event.pathParameters?.id ?? '';

const action =
  (kind: ParsedAction['kind']) =>
  async (event: StaffEvent): Promise<APIGatewayProxyResult> =>
    jsonResponse(
      200,
      await actOnSubjectRequest(dependencies, callerOf(event), requestId(event), kind, jsonBody(event)),
    );

const staffApi = middy<StaffEvent, APIGatewayProxyResult>()
  .use(logContext())
  .use(httpEdge({ allowedOrigins: config.app.allowedOrigins, jsonOnly: true }))
  .use(staffCaller())
  .handler(
    routeByResource<StaffEvent>([
      {
        method: 'GET',
        resource: '/people',
        handler: async (event) =>
          jsonResponse(
            200,
            await lookUpPerson(dependencies, callerOf(event), { email: event.queryStringParameters?.email }),
          ),
      },
      {
        method: 'POST',
        resource: '/subject-requests',
        handler: async (event) =>
          jsonResponse(
            201,
            await receiveSubjectRequest(dependencies, callerOf(event), jsonBody(event), apiBaseUrl),
          ),
      },
      {
        method: 'GET',
        resource: '/subject-requests',
        handler: async (event) =>
          jsonResponse(
            200,
            await listSubjectRequests(dependencies, callerOf(event), {
              status: event.queryStringParameters?.status,
              cursor: event.queryStringParameters?.cursor,
            }),
          ),
      },
      {
        method: 'GET',
        resource: '/subject-requests/{id}',
        handler: async (event) =>
          jsonResponse(200, await readSubjectRequest(dependencies, callerOf(event), requestId(event))),
      },
      {
        method: 'GET',
        resource: '/subject-requests/{id}/export',
        handler: async (event) => {
          const id = requestId(event);
          const bundle = await readRequestExport(dependencies, callerOf(event), id);
          return {
            statusCode: 200,
            headers: {
              'Content-Type': 'application/json; charset=utf-8',
              'Content-Disposition': `attachment; filename="access-${id}.json"`,
              'Cache-Control': 'no-store',
            },
            body: bundle,
          };
        },
      },
      {
        method: 'POST',
        resource: '/relationships',
        handler: async (event) => {
          const recorded = await recordRelationship(dependencies, callerOf(event), jsonBody(event));
          return jsonResponse(recorded.created ? 201 : 200, recorded);
        },
      },
      {
        method: 'POST',
        resource: '/imports',
        handler: async (event) =>
          jsonResponse(
            200,
            await importContacts(dependencies, { kind: 'staff', request: callerOf(event) }, csvBody(event), {
              dryRun: dryRunOf(event),
            }),
          ),
      },
      ...(['verify', 'extend', 'refuse', 'close', 'cancel'] as const).map((kind) => ({
        method: 'POST' as const,
        resource: `/subject-requests/{id}/${kind}`,
        handler: action(kind),
      })),
    ]),
  );

const publicPages = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(logContext())
  .use(httpEdge({ allowedOrigins: config.app.allowedOrigins }))
  .handler(routeByResource(peoplePageRoutes(peopleDependencies, apiBaseUrl)));

/** The daily digest, and the overdue count as the metric the overdue alarm watches. */
async function dailyDigest(): Promise<{ overdue: number; dueSoon: number }> {
  const counts = await sendRequestDigest(dependencies);
  countMetric('OverdueSubjectRequests', counts.overdue);
  return counts;
}

function isScheduled(event: unknown): event is ScheduledEvent {
  return typeof event === 'object' && event !== null && (event as ScheduledEvent).source === 'aws.events';
}

export async function handler(
  event: APIGatewayProxyEvent | ScheduledEvent,
  context: Context,
): Promise<APIGatewayProxyResult | { overdue: number; dueSoon: number }> {
  if (isScheduled(event)) return dailyDigest();
  if (PEOPLE_PAGE_RESOURCES.has(event.resource)) return publicPages(event, context);
  return staffApi(event, context);
}
