/**
 * The one place errors become HTTP responses, JSON or an HTML page as the caller expects, and where
 * CORS headers are added for allowed origins.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describeError, log } from '../log.ts';
import { asHttpError, InvalidRequestError } from './errors.ts';
import { FIELD_LABELS, REASON_TEXT } from './field-text.ts';
import { header, wantsJson } from './request.ts';
import { escapeHtml, htmlPage, jsonResponse } from './responses.ts';

export function httpResponses(options: {
  readonly allowedOrigins: readonly string[];
  /** API clients rather than browsers: errors are always JSON, whatever the request accepts. */
  readonly jsonOnly?: boolean;
}): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const allowed = new Set(options.allowedOrigins);
  const addCors = (event: APIGatewayProxyEvent, response: APIGatewayProxyResult | null) => {
    const origin = header(event, 'origin');
    if (!response || !origin || !allowed.has(origin)) return;
    response.headers = { ...response.headers, 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  };
  return {
    after: (request) => addCors(request.event, request.response),
    onError: (request) => {
      request.response = errorResponse(request.event, request.error, options.jsonOnly);
      addCors(request.event, request.response);
    },
  };
}

export function errorResponse(
  event: APIGatewayProxyEvent,
  error: unknown,
  jsonOnly = false,
): APIGatewayProxyResult {
  const httpError = asHttpError(error);
  const shown = httpError?.expose ? httpError : undefined;
  const status = shown?.statusCode ?? 500;
  const code = shown?.code ?? 'internal_error';
  if (status >= 500) {
    log.error('request_failed', {
      ...describeError(error),
      code,
      requestId: event.requestContext?.requestId,
    });
  }
  const fields = httpError instanceof InvalidRequestError ? httpError.fields : undefined;

  if (jsonOnly || wantsJson(event))
    return jsonResponse(status, fields ? { error: code, fields } : { error: code });
  if (fields) {
    const items = Object.entries(fields)
      .map(
        ([field, reason]) =>
          `<li>${escapeHtml(FIELD_LABELS[field] ?? 'A field')}: ${escapeHtml(REASON_TEXT[reason])}</li>`,
      )
      .join('');
    return htmlPage(
      400,
      'Please check the form',
      `<p>Some fields need another look:</p><ul>${items}</ul>
<p>Use your browser's back button to correct them and send the form again.</p>`,
    );
  }
  const message =
    status === 413
      ? 'The form was too large to send. Please shorten your message and try again.'
      : status < 500
        ? 'The form could not be sent. Please go back and try again.'
        : 'Sorry, something went wrong on our side. Please try again in a few minutes.';
  return htmlPage(
    status,
    status < 500 ? 'The form could not be sent' : 'Something went wrong',
    `<p>${message}</p>`,
  );
}
