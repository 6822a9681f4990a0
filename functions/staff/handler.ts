/**
 * GET /contacts, /contacts/{id}, /enquiries and /audit: middy wiring and the mapping between API Gateway
 * events and the staff use cases. API Gateway's Cognito authorizer has checked the token; each route then
 * admits only the groups infra/routes.ts names for it (deny by default).
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { admittedGroups } from '#infra/routes.ts';
import { createDocumentClient } from '#shared/adapters/dynamodb/client.ts';
import { createContactsRepository } from '#shared/adapters/dynamodb/contacts-repository.ts';
import type { MailableContact } from '#shared/adapters/dynamodb/staff-reads.ts';
import { createStaffReads } from '#shared/adapters/dynamodb/staff-reads.ts';
import { secretValue } from '#shared/adapters/secrets.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { parseKeyRing } from '#shared/domain/tokens.ts';
import { toCsv } from '#shared/http/csv.ts';
import { httpEdge } from '#shared/http/edge.ts';
import { NotFoundError } from '#shared/http/errors.ts';
import { apiBaseUrl, header } from '#shared/http/request.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { requireStaff } from '#shared/http/staff-auth.ts';
import {
  type ListResult,
  listAuditTrail,
  listMailableContacts,
  listRecentEnquiries,
  readContactDetail,
  type StaffDeps,
  type StaffRequest,
} from '#shared/use-cases/staff-api.ts';

const config = readFunctionConfig();
if (!config.tokenSigningKeys)
  throw new Error('Set TOKEN_SIGNING_KEYS_SECRET_ARN (AWS) or TOKEN_SIGNING_KEYS (local mode)');
const db = createDocumentClient({ endpoint: config.dynamoDbEndpoint });

export const dependencies: StaffDeps = {
  config: config.app,
  reads: createStaffReads(db, config.tableName),
  contacts: createContactsRepository(db, config.tableName),
  linkKeys: secretValue(config.tokenSigningKeys, parseKeyRing),
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

async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const identity = requireStaff(event, admittedGroups(event.httpMethod, event.resource));
  const format = wantsCsv(event) && event.resource === '/contacts' ? 'csv' : 'json';
  const request: StaffRequest = {
    identity,
    method: event.httpMethod,
    route: event.resource,
    requestId: event.requestContext?.requestId,
    format,
  };
  const query = event.queryStringParameters ?? {};
  const paging = { limit: query.limit, cursor: query.cursor };

  switch (event.resource) {
    case '/contacts': {
      const page = await listMailableContacts(dependencies, request, {
        topic: query.topic,
        basis: query.basis,
        ...paging,
      });
      const response = listResponse(event, page);
      if (format === 'json') return response;
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
    case '/contacts/{id}':
      return jsonResponse(
        200,
        await readContactDetail(dependencies, request, event.pathParameters?.id ?? '', apiBaseUrl(event)),
      );
    case '/enquiries':
      return listResponse(event, await listRecentEnquiries(dependencies, request, paging));
    case '/audit':
      return listResponse(event, await listAuditTrail(dependencies, request, paging));
    default:
      throw new NotFoundError();
  }
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
    headers.Link = `<${apiBaseUrl(event)}${event.path}?${params}>; rel="next"`;
    headers['X-Next-Cursor'] = page.next;
  }
  return jsonResponse(200, { items: page.items, next: page.next }, headers);
}

function wantsCsv(event: APIGatewayProxyEvent): boolean {
  return (header(event, 'accept') ?? '').toLowerCase().includes('text/csv');
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpEdge({ allowedOrigins: config.app.allowedOrigins, jsonOnly: true }))
  .handler(route);
