/**
 * GET|HEAD|POST /unsubscribe, /preferences and /confirm: middy wiring and the mapping between API
 * Gateway events and the link use cases. GET and HEAD only ever show a page; POST acts.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readApiBaseUrl } from '#shared/api-base-url.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies, linkSigningKeys } from '#shared/dependencies.ts';
import { parseBody } from '#shared/http/body.ts';
import { httpEdge } from '#shared/http/edge.ts';
import { HttpError } from '#shared/http/errors.ts';
import {
  confirmedPage,
  confirmPage,
  invalidLinkPage,
  preferencesPage,
  unsubscribedPage,
  unsubscribePage,
} from '#shared/http/link-pages.ts';
import { textResponse } from '#shared/http/responses.ts';
import { getOrHead, routeByResource } from '#shared/http/router.ts';
import { logContext } from '#shared/log.ts';
import {
  checkLink,
  confirm,
  InvalidLinkError,
  type LinkDeps,
  savePreferences,
  unsubscribe,
  viewPreferences,
} from '#shared/use-cases/links.ts';

const config = readFunctionConfig({ required: ['emailHashKey', 'tokenSigningKeys'] });

export const dependencies: LinkDeps = {
  config: config.app,
  ...contactDependencies(config),
  linkKeys: linkSigningKeys(config),
  clock: now,
  newId: randomUUID,
  linkBaseUrl: readApiBaseUrl(),
};

const organisation = config.app.organisation.name;

/** GET and HEAD show the page for a link; POST acts on it and shows the outcome. */
async function unsubscribeLink(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const token = event.queryStringParameters?.token;
  const claims = await checkLink(dependencies, token, 'unsubscribe');
  if (event.httpMethod !== 'POST') return unsubscribePage(organisation, token ?? '');
  const oneClick = (await formFields(event)).get('List-Unsubscribe')?.includes('One-Click') ?? false;
  await unsubscribe(dependencies, claims);
  // RFC 8058 one-click: a plain 200, no redirect, no cookie; the same answer on every repeat.
  return oneClick ? textResponse(200, 'Unsubscribed.\n') : unsubscribedPage(organisation);
}

async function confirmLink(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const token = event.queryStringParameters?.token;
  const claims = await checkLink(dependencies, token, 'confirm');
  if (event.httpMethod !== 'POST') return confirmPage(organisation, token ?? '');
  return confirmedPage(organisation, (await confirm(dependencies, claims)) === 'changed');
}

async function preferencesLink(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const token = event.queryStringParameters?.token;
  const write = event.httpMethod === 'POST';
  const claims = await checkLink(dependencies, token, 'preferences');
  if (write) {
    const fields = await formFields(event);
    await savePreferences(dependencies, claims, {
      everything: fields.has('everything'),
      ticked: new Set(fields.get('topics') ?? []),
    });
  }
  const view = await viewPreferences(dependencies, claims);
  return preferencesPage({
    organisation,
    token: token ?? '',
    statement: config.app.preferenceCentre.statement.text,
    topics: view.kind === 'topics' ? view.topics : undefined,
    saved: write,
  });
}

/** Whatever is wrong with a link, the answer is the same and names no one. */
function sameAnswerForInvalidLinks(
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    try {
      return await handler(event);
    } catch (error) {
      if (error instanceof InvalidLinkError) return invalidLinkPage();
      throw error;
    }
  };
}

const LINKS = {
  '/unsubscribe': sameAnswerForInvalidLinks(unsubscribeLink),
  '/confirm': sameAnswerForInvalidLinks(confirmLink),
  '/preferences': sameAnswerForInvalidLinks(preferencesLink),
};

/** The posted form; an unreadable body is treated as empty, since the POST itself is the request. */
async function formFields(event: APIGatewayProxyEvent): Promise<ReadonlyMap<string, readonly string[]>> {
  try {
    return (await parseBody(event)).fields;
  } catch (error) {
    if (error instanceof HttpError && error.statusCode < 500) return new Map();
    throw error;
  }
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(logContext())
  .use(httpEdge({ allowedOrigins: config.app.allowedOrigins }))
  .handler(
    routeByResource(
      Object.entries(LINKS).flatMap(([resource, handler]) => [
        ...getOrHead(resource, handler),
        { method: 'POST' as const, resource, handler },
      ]),
    ),
  );
