/**
 * Form bodies (urlencoded, multipart fields or JSON, up to 16 KiB) read by middy's body parsers and the
 * platform's multipart parser, with the checks around them that the parsers do not make: which content
 * types and charsets are taken, the size limit, strict UTF-8 and percent-escapes, JSON keys named once, and
 * the shape of what was parsed. Nothing here logs or echoes what was sent.
 */
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { SubmittedFields } from '../domain/enquiry.ts';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';
import { header, mediaType } from './request.ts';
import { isStrictJson } from './strict-json.ts';

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
    parse: parseMultipart,
  },
  'application/json': {
    format: 'json',
    parse: step(httpJsonBodyParser({ disableContentTypeCheck: true }).before),
  },
};

/**
 * Multipart by the platform's own parser (undici's FormData) rather than @middy/http-multipart-body-parser:
 * that one keeps only the last value of a repeated name, and with busboy it adds about 29 KB to the
 * bundle, more than the enquiry function's size budget leaves.
 */
async function parseMultipart(request: { event: Record<string, unknown> }): Promise<void> {
  const { body, isBase64Encoded, headers } = request.event;
  const bytes = Buffer.from(String(body), isBase64Encoded ? 'base64' : 'utf8');
  const form = await new Response(bytes, { headers: headers as Record<string, string> }).formData();
  const fields: Record<string, string[]> = Object.create(null);
  // Files are not fields: they are dropped unread, like any other field a form does not keep.
  for (const name of new Set(form.keys())) {
    fields[name] = form.getAll(name).filter((value): value is string => typeof value === 'string');
  }
  request.event.body = fields;
}

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
  if (parser.format !== 'multipart') checkText(bytes, parser.format, event.isBase64Encoded);

  const parsed: Record<string, unknown> = {
    headers: { 'content-type': contentType },
    body: event.body ?? '',
    isBase64Encoded: event.isBase64Encoded,
  };
  try {
    await parser.parse({ event: parsed });
  } catch {
    // The parsers' own errors (422) quote the body in their cause: none of it goes further.
    throw malformed();
  }
  // Judged like a form: a repeated field is refused, never silently reduced to its last value.
  if (parser.format === 'json' && !isStrictJson(bytes.toString('utf8'))) throw malformed();
  return { format: parser.format, fields: submittedFields(parser.format, parsed.body) };
}

/**
 * Strict, unlike the parsers: invalid UTF-8 or a broken percent-escape is an error, not U+FFFD. API Gateway
 * hands a text body over already decoded, invalid bytes replaced by U+FFFD; that character sent as such
 * is taken for what it almost always is (a client writes it escaped, if at all).
 */
function checkText(bytes: Buffer, format: BodyFormat, isBase64Encoded: boolean): void {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!isBase64Encoded && text.includes('\uFFFD')) throw malformed();
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
