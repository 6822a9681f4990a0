/**
 * The one place errors become HTTP responses: JSON or an HTML page as the caller expects, with a generic
 * body for anything not ours to show. @middy/http-error-handler sends what this renders.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describeError, log } from '../log.ts';
import { asHttpError, InvalidRequestError } from './errors.ts';
import { FIELD_LABELS, REASON_TEXT } from './field-text.ts';
import { wantsJson } from './request.ts';
import { escapeHtml, htmlPage, jsonResponse } from './responses.ts';

/** An error already rendered: http-error-handler answers with its status, headers and message as the body. */
class RenderedError extends Error {
  override readonly name = 'RenderedError';
  readonly statusCode: number;
  readonly headers: APIGatewayProxyResult['headers'];
  readonly expose = true;

  constructor(response: APIGatewayProxyResult, cause: unknown) {
    super(response.body, { cause });
    this.statusCode = response.statusCode;
    this.headers = response.headers;
  }
}

/** Runs before @middy/http-error-handler (middy calls onError last-used first). */
export function errorsAsResponses(options: {
  readonly jsonOnly: boolean;
}): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      if (request.response !== undefined) return;
      request.error = new RenderedError(
        errorResponse(request.event, request.error, options.jsonOnly),
        request.error,
      );
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
  const fields = shown instanceof InvalidRequestError ? shown.fields : undefined;

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
