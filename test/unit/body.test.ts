import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, parseBody } from '../../shared/http/body.ts';
import { HttpError } from '../../shared/http/errors.ts';
import { isStrictJson } from '../../shared/http/strict-json.ts';

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

  it.each([
    ['a repeated key', '{"email":"a@example.com","email":"b@example.com"}'],
    ['a repeated key in a nested object', '{"a":{"x":1,"x":2}}'],
    ['a repeated key written with an escape', '{"email":"a@example.com","\\u0065mail":"b@example.com"}'],
    ['an escaped lone surrogate in a value', '{"name":"Ada \\ud800"}'],
    ['an escaped lone surrogate in a key', '{"\\udc00":"x"}'],
    ['a lone surrogate in an array', '{"topics":["a","\\ud800"]}'],
    ['text a lossy decode of invalid UTF-8 left behind', '{"name":"Ada \uFFFD"}'],
  ])('refuses a JSON body with %s, as forms are refused (400 body: invalid)', async (_label, body) => {
    await expect(parseBody(event('application/json', body))).rejects.toMatchObject({
      statusCode: 400,
      fields: { body: 'invalid' },
    });
  });

  it('refuses a JSON body of invalid UTF-8 bytes with 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"Ada '), Buffer.from([0xff]), Buffer.from('"}')]);
    await expect(parseBody(event('application/json', bytes.toString('base64'), true))).rejects.toMatchObject({
      statusCode: 400,
      fields: { body: 'invalid' },
    });
  });

  it('keeps paired surrogates, escaped or not, and the same key in different objects', async () => {
    expect(
      await entries(
        parseBody(event('application/json', '{"name":"Ada \\ud83d\\ude00 😀","a":{"x":1},"b":{"x":2}}')),
      ),
    ).toEqual({ name: ['Ada 😀 😀'] });
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

describe('isStrictJson', () => {
  it('accepts whatever JSON.stringify writes for well-formed values', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => isStrictJson(JSON.stringify(value))));
  });

  it('refuses an object that names a key twice, at any depth', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), fc.jsonValue(), (key, a, b) => {
        const name = JSON.stringify(key);
        const text = `[{"k":{${name}:${JSON.stringify(a)},${name}:${JSON.stringify(b)}}}]`;
        return !isStrictJson(text);
      }),
    );
  });
});
