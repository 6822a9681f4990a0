/**
 * Form bodies (urlencoded, multipart fields or JSON, up to 16 KiB) read by middy's body parsers, with the
 * checks around them that the parsers do not make: which content types and charsets are taken, the size
 * limit, strict UTF-8 and percent-escapes, and the shape of what was parsed. Nothing here logs or echoes
 * what was sent.
 */
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpMultipartBodyParser from '@middy/http-multipart-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { SubmittedFields } from '../domain/enquiry.ts';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';
import { header, mediaType } from './request.ts';

export const MAX_BODY_BYTES = 16 * 1024;
const MAX_FIELDS = 100;

export type BodyFormat = 'urlencoded' | 'multipart' | 'json';

export interface ParsedBody {
  readonly format: BodyFormat;
  readonly fields: SubmittedFields;
}

type BodyEvent = Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded'>;
type ParserStep = (request: { event: Record<string, unknown> }) => unknown;

// Our gate has already matched the media type, so each parser runs without its own (narrower) check.
const PARSERS: Record<string, { format: BodyFormat; parse: ParserStep }> = {
  'application/x-www-form-urlencoded': {
    format: 'urlencoded',
    parse: step(httpUrlencodeBodyParser({ disableContentTypeCheck: true }).before),
  },
  'multipart/form-data': {
    format: 'multipart',
    parse: step(
      httpMultipartBodyParser({
        disableContentTypeCheck: true,
        // Every part is taken as a "file" so repeated names keep all their values (the parser's field
        // handling keeps only the last) and no name is rewritten; parts with a filename are dropped below.
        // Its default limits (1,000 parts) are never reached within MAX_BODY_BYTES, so nothing is cut short.
        busboy: { isPartAFile: () => true },
      }).before,
    ),
  },
  'application/json': {
    format: 'json',
    parse: step(httpJsonBodyParser({ disableContentTypeCheck: true }).before),
  },
};

function step(before: unknown): ParserStep {
  if (typeof before !== 'function') throw new Error('A body parser without a before step');
  return before as ParserStep;
}

const malformed = () => new InvalidRequestError({ body: 'invalid' });

/** The fields of a form body; fails only with an HttpError (415, 413 or 400 `body: invalid`). */
export async function parseBody(event: BodyEvent): Promise<ParsedBody> {
  const contentType = header(event, 'content-type');
  const parser = PARSERS[mediaType(contentType) ?? ''];
  if (!parser || !contentType) throw new UnsupportedMediaTypeError();
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaTypeError();

  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  if (parser.format !== 'multipart') checkText(bytes, parser.format);

  const parsed: Record<string, unknown> = {
    headers: { 'content-type': contentType },
    body: event.body ?? '',
    isBase64Encoded: event.isBase64Encoded,
  };
  try {
    await parser.parse({ event: parsed });
  } catch {
    // The parsers' own errors (422, 413) quote the body in their cause: none of it goes further.
    throw malformed();
  }
  return { format: parser.format, fields: submittedFields(parser.format, parsed.body) };
}

/** Strict, unlike the parsers: invalid UTF-8 or a broken percent-escape is an error, not U+FFFD. */
function checkText(bytes: Buffer, format: BodyFormat): void {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // '&' and '=' are never escapes, so decoding the whole body fails exactly when one field would.
    if (format === 'urlencoded') decodeURIComponent(text);
  } catch {
    throw malformed();
  }
}

/** What the parser produced, as field name -> values; anything that is not a field's value is dropped. */
function submittedFields(format: BodyFormat, body: unknown): SubmittedFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed();
  const fields = new Map<string, string[]>();
  for (const [name, value] of Object.entries(body)) {
    const values = (Array.isArray(value) ? value : [value]).flatMap((item) => fieldValue(format, item));
    // Multipart files arrive newest first; put values back in the order they were sent.
    if (format === 'multipart') values.reverse();
    if (values.length === 0) continue;
    if (fields.size >= MAX_FIELDS) throw malformed();
    fields.set(name, values);
  }
  return fields;
}

function fieldValue(format: BodyFormat, item: unknown): string[] {
  if (typeof item === 'string') return [item];
  if (format === 'json') {
    // Objects and nulls are no field's value; like unknown fields they are dropped (and the field's
    // name is never echoed back, since it too came from the caller).
    return typeof item === 'number' || typeof item === 'boolean' ? [String(item)] : [];
  }
  if (format === 'multipart' && isPart(item)) {
    // Files are not fields: they are dropped unread, like any other field a form does not keep.
    return item.filename === undefined ? [item.content.toString('utf8')] : [];
  }
  return [];
}

function isPart(item: unknown): item is { filename?: string; content: Buffer } {
  return (
    typeof item === 'object' && item !== null && Buffer.isBuffer((item as { content?: unknown }).content)
  );
}
