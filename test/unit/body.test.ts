import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, parseBody } from '../../shared/http/body.ts';
import { HttpError } from '../../shared/http/errors.ts';

const event = (contentType: string | undefined, body: string | null, isBase64Encoded = false) => ({
  headers: contentType ? { 'content-type': contentType } : {},
  body,
  isBase64Encoded,
});
const entries = async (promise: ReturnType<typeof parseBody>) => Object.fromEntries((await promise).fields);

describe('parseBody', () => {
  it('reads urlencoded bodies, with + as space and repeated fields kept', async () => {
    expect(
      await entries(
        parseBody(event('application/x-www-form-urlencoded', 'name=Ada+L&topics=a&topics=b&empty=&flag')),
      ),
    ).toEqual({
      name: ['Ada L'],
      topics: ['a', 'b'],
      empty: [''],
      flag: [''],
    });
  });

  it('reads JSON objects, turning scalars into strings and dropping objects and nulls', async () => {
    expect(
      await entries(
        parseBody(
          event(
            'application/json; charset=UTF-8',
            '{"a":"x","b":true,"c":2,"d":["y","z"],"e":{"f":1},"g":null}',
          ),
        ),
      ),
    ).toEqual({
      a: ['x'],
      b: ['true'],
      c: ['2'],
      d: ['y', 'z'],
    });
  });

  it('reads multipart fields from a base64 body and drops files', async () => {
    const data = new FormData();
    data.append('name', 'Ada');
    data.append('cv', new Blob(['%PDF']), 'cv.pdf');
    const request = new Request('http://x', { method: 'POST', body: data });
    const body = Buffer.from(await request.arrayBuffer()).toString('base64');
    const parsed = await parseBody(event(request.headers.get('content-type') ?? '', body, true));
    expect(parsed.format).toBe('multipart');
    expect(Object.fromEntries(parsed.fields)).toEqual({ name: ['Ada'] });
  });

  it('keeps every value of a repeated multipart field, in the order sent, with names as sent', async () => {
    const data = new FormData();
    for (const topic of ['a', 'b', 'c']) data.append('topics', topic);
    data.append('list[]', 'x');
    data.append('email', 'ada@example.com');
    const request = new Request('http://x', { method: 'POST', body: data });
    const body = Buffer.from(await request.arrayBuffer()).toString('base64');
    const parsed = await parseBody(event(request.headers.get('content-type') ?? '', body, true));
    expect(Object.fromEntries(parsed.fields)).toEqual({
      topics: ['a', 'b', 'c'],
      'list[]': ['x'],
      email: ['ada@example.com'],
    });
  });

  it('counts bytes, not characters, against the 16 KiB limit', async () => {
    const fits = `m=${'a'.repeat(MAX_BODY_BYTES - 2)}`;
    await expect(parseBody(event('application/x-www-form-urlencoded', fits))).resolves.toBeDefined();
    await expect(parseBody(event('application/x-www-form-urlencoded', `${fits}a`))).rejects.toMatchObject({
      statusCode: 413,
    });
    await expect(
      parseBody(event('application/x-www-form-urlencoded', `m=${'é'.repeat(MAX_BODY_BYTES / 2)}`)),
    ).rejects.toMatchObject({ statusCode: 413 });
  });

  it.each([undefined, 'text/plain', 'application/jsonx', 'application/json; charset=latin1'])(
    'refuses content type %s with 415',
    async (type) => {
      await expect(parseBody(event(type, '{}'))).rejects.toMatchObject({ statusCode: 415 });
    },
  );

  it.each([
    ['application/json', '{'],
    ['application/json', '"just a string"'],
    ['application/json', 'null'],
    ['application/x-www-form-urlencoded', 'a=%zz'],
    ['application/x-www-form-urlencoded', Buffer.from([0x61, 0x3d, 0xff]).toString('base64')],
  ])('refuses malformed %s bodies with 400', async (type, body) => {
    const isBase64 = !body.includes('=') && !body.startsWith('{') && !body.startsWith('"') && body !== 'null';
    await expect(parseBody(event(type, body, isBase64))).rejects.toMatchObject({
      statusCode: 400,
      fields: { body: 'invalid' },
    });
  });

  it('refuses more than 100 distinct fields', async () => {
    const body = Array.from({ length: 101 }, (_, i) => `f${i}=x`).join('&');
    await expect(parseBody(event('application/x-www-form-urlencoded', body))).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('only ever fails with an HTTP error, whatever the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'application/json',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=b',
        ),
        fc.uint8Array({ maxLength: 300 }),
        async (type, bytes) => {
          try {
            await parseBody(event(type, Buffer.from(bytes).toString('base64'), true));
          } catch (error) {
            expect(error).toBeInstanceOf(HttpError);
          }
        },
      ),
    );
  });
});
