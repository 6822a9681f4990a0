/**
 * POST /enquiries (and the built-in thank-you page): middy wiring and the mapping between API Gateway
 * events and the submit-enquiry use case. Settings and clients are created once per container.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { confirmationWindows } from '#shared/adapters/dynamodb/outbox.ts';
import { submissions } from '#shared/adapters/dynamodb/submissions.ts';
import { secretReader } from '#shared/adapters/secrets.ts';
import { turnstileVerifier } from '#shared/adapters/turnstile.ts';
import { readApiBaseUrl } from '#shared/api-base-url.ts';
import { now } from '#shared/clock.ts';
import type { RuntimeConfig } from '#shared/config/schema.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies, documentClient } from '#shared/dependencies.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { httpEdge } from '#shared/http/edge.ts';
import { type EnquiryBody, enquiryBody } from '#shared/http/enquiry-body.ts';
import { basePath, wantsJson } from '#shared/http/request.ts';
import { htmlPage, jsonResponse, seeOther } from '#shared/http/responses.ts';
import { getOrHead, routeByResource } from '#shared/http/router.ts';
import { logContext } from '#shared/log.ts';
import { type SubmitEnquiryDeps, submitEnquiry } from '#shared/use-cases/submit-enquiry.ts';

export const THANK_YOU_PATH = '/enquiries/thank-you';

const usesTurnstile = (app: RuntimeConfig) => app.forms.some((form) => form.turnstile);

// No mail keys or mail client here: emails are queued with the enquiry and sent by the mailer.
const config = readFunctionConfig({
  required: ['emailHashKey'],
  requiredFor: (app) => (usesTurnstile(app) ? (['turnstileSecret'] as const) : []),
});
const { turnstileSecret } = config.secrets;

const db = documentClient(config);

export const dependencies: SubmitEnquiryDeps = {
  config: config.app,
  ...contactDependencies(config, db),
  confirmationWindows: confirmationWindows(db, config.tableName),
  submissions: submissions(db, config.tableName),
  turnstile:
    usesTurnstile(config.app) && turnstileSecret
      ? turnstileVerifier({ verifyUrl: config.turnstileVerifyUrl, secret: secretReader(turnstileSecret) })
      : undefined,
  clock: now,
  newId: randomUUID,
};

async function thankYou(): Promise<APIGatewayProxyResult> {
  return htmlPage(200, 'Thank you', '<p>We have received your enquiry and will reply soon.</p>');
}

async function receiveEnquiry(event: APIGatewayProxyEvent & EnquiryBody): Promise<APIGatewayProxyResult> {
  if (!event.enquiry) throw new NotFoundError();
  const receipt = await submitEnquiry(dependencies, event.enquiry);
  if (wantsJson(event)) return jsonResponse(201, { id: receipt.id, status: 'received' });
  // Redirect targets come only from config (validated against allowedOrigins), never from the request.
  const form = config.app.forms.find((candidate) => candidate.id === receipt.formId);
  return seeOther(form?.successUrl ?? `${basePath(event)}${THANK_YOU_PATH}`);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(logContext())
  .use(httpEdge({ allowedOrigins: config.app.allowedOrigins }))
  .use(enquiryBody({ baseUrl: readApiBaseUrl() }))
  .handler(
    routeByResource([
      { method: 'POST', resource: '/enquiries', handler: receiveEnquiry },
      ...getOrHead(THANK_YOU_PATH, thankYou),
    ]),
  );
