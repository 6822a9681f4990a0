/**
 * GET /contacts, /contacts/{id}, /enquiries, /audit and /review: middy wiring and the mapping between API Gateway
 * events and the staff use cases. API Gateway's Cognito authorizer has checked the token; each route then
 * admits only the groups shared/domain/staff-routes.ts names for it (deny by default).
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createContactsRepository } from '#shared/adapters/dynamodb/contacts-store.ts';
import { createStaffReads } from '#shared/adapters/dynamodb/staff-reads.ts';
import { signedPageCursors } from '#shared/adapters/page-cursors.ts';
import { readApiBaseUrl } from '#shared/api-base-url.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { documentClient, linkSigningKeys } from '#shared/dependencies.ts';
import { toCsv } from '#shared/http/csv.ts';
import { httpEdge } from '#shared/http/edge.ts';
import { header } from '#shared/http/request.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { routeByResource } from '#shared/http/router.ts';
import { callerOf, type StaffEvent, staffCaller } from '#shared/http/staff-auth.ts';
import { logContext } from '#shared/log.ts';
import type { MailableContact } from '#shared/ports/staff-reads.ts';
import { reviewExpiring } from '#shared/use-cases/retention-review.ts';
import {
  type ListResult,
  listAuditTrail,
  listMailableContacts,
  listRecentEnquiries,
  readContactDetail,
  type StaffDeps,
} from '#shared/use-cases/staff-api.ts';

// Staff reads never look a contact up by address, so the staff function holds no email-hashing key.
const config = readFunctionConfig({ required: ['tokenSigningKeys'] });
/** The API's own URL, for the links in contact details and `Link` headers. */
const apiBaseUrl = readApiBaseUrl();
const db = documentClient(config);
const linkKeys = linkSigningKeys(config);

export const dependencies: StaffDeps = {
  config: config.app,
  reads: createStaffReads(db, config.tableName),
  contacts: createContactsRepository(db, config.tableName),
  linkKeys,
  cursors: signedPageCursors(linkKeys),
  clock: now,
  newId: randomUUID,
};

/** The columns of a list export: each row says who, about what, on which basis, since when, from where. */
const CONTACT_COLUMNS = [
  { header: 'contact_id', value: (row: MailableContact) => row.contactId },
  { header: 'email', value: (row: MailableContact) => row.email },
  { header: 'name', value: (row: MailableContact) => row.name },
  { header: 'topic', value: (row: MailableContact) => row.topic },
  { header: 'basis', value: (row: MailableContact) => row.basis },
  { header: 'since', value: (row: MailableContact) => row.since },
  { header: 'source', value: (row: MailableContact) => row.source },
  { header: 'form', value: (row: MailableContact) => row.formId },
] as const;

const paging = (event: APIGatewayProxyEvent) => ({
  limit: event.queryStringParameters?.limit,
  cursor: event.queryStringParameters?.cursor,
});

async function mailableContacts(event: StaffEvent): Promise<APIGatewayProxyResult> {
  const query = event.queryStringParameters ?? {};
  const page = await listMailableContacts(dependencies, callerOf(event), {
    topic: query.topic,
    basis: query.basis,
    ...paging(event),
  });
  const response = listResponse(event, page);
  if (callerOf(event).format === 'json') return response;
  return {
    ...response,
    headers: {
      ...response.headers,
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="contacts.csv"',
    },
    // Every page starts with the header row, so each page is a complete CSV document.
    body: toCsv(CONTACT_COLUMNS, page.items),
  };
}

async function contactDetail(event: StaffEvent): Promise<APIGatewayProxyResult> {
  return jsonResponse(
    200,
    await readContactDetail(dependencies, callerOf(event), event.pathParameters?.id ?? '', apiBaseUrl),
  );
}

async function recentEnquiries(event: StaffEvent): Promise<APIGatewayProxyResult> {
  return listResponse(event, await listRecentEnquiries(dependencies, callerOf(event), paging(event)));
}

async function retentionReview(event: StaffEvent): Promise<APIGatewayProxyResult> {
  const page = await reviewExpiring(dependencies, callerOf(event), {
    withinDays: event.queryStringParameters?.withinDays,
    ...paging(event),
  });
  return listResponse(event, page);
}

async function auditTrail(event: StaffEvent): Promise<APIGatewayProxyResult> {
  return listResponse(event, await listAuditTrail(dependencies, callerOf(event), paging(event)));
}

/**
 * `{"items", "next"}`; the next page is also named in a `Link` header (RFC 8288) and its cursor in
 * `X-Next-Cursor`, so a client follows pages of either format the same way.
 */
function listResponse<T>(event: APIGatewayProxyEvent, page: ListResult<T>): APIGatewayProxyResult {
  const headers: Record<string, string> = { 'Access-Control-Expose-Headers': 'Link, X-Next-Cursor' };
  if (page.next) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {}))
      if (name !== 'cursor' && value !== undefined) params.set(name, value);
    params.set('cursor', page.next);
    headers.Link = `<${apiBaseUrl}${event.path}?${params}>; rel="next"`;
    headers['X-Next-Cursor'] = page.next;
  }
  return jsonResponse(200, { items: page.items, next: page.next }, headers);
}

function wantsCsv(event: APIGatewayProxyEvent): boolean {
  return (header(event, 'accept') ?? '').toLowerCase().includes('text/csv');
}

export const handler = middy<StaffEvent, APIGatewayProxyResult>()
  .use(logContext())
  .use(httpEdge({ allowedOrigins: config.app.allowedOrigins, jsonOnly: true }))
  .use(staffCaller((event) => (wantsCsv(event) && event.resource === '/contacts' ? 'csv' : 'json')))
  .handler(
    routeByResource<StaffEvent>([
      { method: 'GET', resource: '/contacts', handler: mailableContacts },
      { method: 'GET', resource: '/contacts/{id}', handler: contactDetail },
      { method: 'GET', resource: '/enquiries', handler: recentEnquiries },
      { method: 'GET', resource: '/audit', handler: auditTrail },
      { method: 'GET', resource: '/review', handler: retentionReview },
    ]),
  );
