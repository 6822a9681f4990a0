/**
 * GET|POST /webhooks/mailchimp: MailChimp checks the URL with a GET when the webhook is saved, then
 * POSTs audience events. Every POST must carry the URL key (and a valid signature when a signing key is
 * set); anything else is refused without reading it further.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { secretValue } from '#shared/adapters/secrets.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies } from '#shared/dependencies.ts';
import {
  deliveryId,
  parseDelivery,
  urlKeyMatches,
  verifySignature,
} from '#shared/domain/mailchimp-webhook.ts';
import { parseWebhookSecret } from '#shared/domain/webhook-secret.ts';
import { parseBody } from '#shared/http/body.ts';
import { httpEdge } from '#shared/http/edge.ts';
import { HttpError } from '#shared/http/errors.ts';
import { header } from '#shared/http/request.ts';
import { textResponse } from '#shared/http/responses.ts';
import { getOrHead, routeByResource } from '#shared/http/router.ts';
import { log, logContext } from '#shared/log.ts';
import { applyWebhook, type WebhookDeps } from '#shared/use-cases/mailchimp-webhook.ts';

const config = readFunctionConfig({ required: ['emailHashKey', 'mailchimpWebhookSecret'] });
const webhookSecret = secretValue(config.secrets.mailchimpWebhookSecret, parseWebhookSecret);

export const dependencies: WebhookDeps = {
  config: config.app,
  ...contactDependencies(config),
  clock: now,
  newId: randomUUID,
};

const WEBHOOK_PATH = '/webhooks/mailchimp';

/** MailChimp's validation GET: answered without side effects or information. */
async function validation(): Promise<APIGatewayProxyResult> {
  return textResponse(200, 'OK\n');
}

async function delivery(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const secret = await webhookSecret();
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (!urlKeyMatches(event.queryStringParameters?.key, secret.urlKey)) return refused('url_key');
  if (secret.signingKey) {
    const check = verifySignature(header(event, 'x-mailchimp-signature'), rawBody, secret.signingKey, now());
    if (check !== 'valid') return refused(check);
  }

  let fields: ReadonlyMap<string, readonly string[]>;
  try {
    fields = (await parseBody(event)).fields;
  } catch (error) {
    // A malformed delivery will not get better on retry: acknowledge it and move on.
    if (error instanceof HttpError && error.statusCode < 500) return accepted('unreadable');
    throw error;
  }
  const delivery = parseDelivery(fields);
  if (!delivery) return accepted('unknown_type');
  return accepted(await applyWebhook(dependencies, delivery, deliveryId(rawBody)));
}

function refused(reason: string): APIGatewayProxyResult {
  log.warn('mailchimp_webhook_refused', { reason });
  return textResponse(401, 'Unauthorized\n');
}

function accepted(outcome: string): APIGatewayProxyResult {
  log.info('mailchimp_webhook_accepted', { outcome });
  return textResponse(200, 'OK\n');
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(logContext())
  .use(httpEdge({ allowedOrigins: [] }))
  .handler(
    routeByResource([
      ...getOrHead(WEBHOOK_PATH, validation),
      { method: 'POST', resource: WEBHOOK_PATH, handler: delivery },
    ]),
  );
