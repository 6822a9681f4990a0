/**
 * Request bodies for form endpoints: urlencoded, multipart (fields only) or JSON, up to 16 KiB, as a map
 * of field name to values. Nothing here logs or echoes what was sent.
 */
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

const FORMATS: Record<string, BodyFormat> = {
  'application/x-www-form-urlencoded': 'urlencoded',
  'multipart/form-data': 'multipart',
  'application/json': 'json',
};

const malformed = () => new InvalidRequestError({ body: 'invalid' });

export async function parseBody(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded'>,
): Promise<ParsedBody> {
  const contentType = header(event, 'content-type');
  const format = FORMATS[mediaType(contentType) ?? ''];
  if (!format || !contentType) throw new UnsupportedMediaTypeError();
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaTypeError();

  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);

  const fields = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const values = fields.get(name);
    if (values) values.push(value);
    else if (fields.size >= MAX_FIELDS) throw malformed();
    else fields.set(name, [value]);
  };

  switch (format) {
    case 'urlencoded':
      for (const [name, value] of parseUrlEncoded(decodeUtf8(bytes))) add(name, value);
      break;
    case 'multipart':
      for (const [name, value] of await parseMultipart(bytes, contentType)) add(name, value);
      break;
    case 'json':
      for (const [name, value] of parseJsonObject(decodeUtf8(bytes))) add(name, value);
      break;
  }
  return { format, fields };
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed();
  }
}

/** Strict, unlike URLSearchParams: a broken percent-escape is an error, not a replacement character. */
function* parseUrlEncoded(text: string): Generator<[string, string]> {
  if (text.trim() === '') return;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const rawName = separator === -1 ? pair : pair.slice(0, separator);
    const rawValue = separator === -1 ? '' : pair.slice(separator + 1);
    try {
      yield [
        decodeURIComponent(rawName.replaceAll('+', ' ')),
        decodeURIComponent(rawValue.replaceAll('+', ' ')),
      ];
    } catch {
      throw malformed();
    }
  }
}

async function parseMultipart(bytes: Buffer, contentType: string): Promise<Array<[string, string]>> {
  let form: FormData;
  try {
    // The platform's own multipart parser (undici), rather than a hand-rolled one.
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw malformed();
  }
  const fields: Array<[string, string]> = [];
  // Files are not fields: they are dropped unread, like any other field a form does not keep.
  for (const [name, value] of form) if (typeof value === 'string') fields.push([name, value]);
  return fields;
}

function* parseJsonObject(text: string): Generator<[string, string]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed();
  for (const [name, value] of Object.entries(parsed)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') yield [name, item];
      else if (typeof item === 'number' || typeof item === 'boolean') yield [name, String(item)];
      // Objects and nulls are no field's value; like unknown fields they are dropped (and the field's
      // name is never echoed back, since it too came from the caller).
    }
  }
}
