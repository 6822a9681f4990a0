import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deliveryId,
  field,
  parseDelivery,
  urlKeyMatches,
  verifySignature,
} from '../../shared/domain/mailchimp-webhook.ts';

const KEY = 'webhook-signing-key-0123456789abcdef';
const NOW = new Date('2026-11-22T10:00:00Z');
const T = Math.floor(NOW.getTime() / 1000);
const BODY = Buffer.from(
  'type=unsubscribe&fired_at=2026-11-22+10%3A00%3A00&data%5Baction%5D=unsub&data%5Breason%5D=manual&data%5Bemail%5D=ada%40example.com&data%5Bmerges%5D%5BFNAME%5D=Ada&data%5Blist_id%5D=abc',
);
const sign = (t: number, body: Buffer, key = KEY) =>
  `t=${t},v1=${createHmac('sha256', key).update(`${t}.`).update(body).digest('hex')}`;
const fieldsOf = (body: Buffer) => {
  const map = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body.toString()))
    map.set(name, [...(map.get(name) ?? []), value]);
  return map;
};

describe('verifySignature', () => {
  it('accepts a signature over the exact raw body within five minutes', () => {
    expect(verifySignature(sign(T, BODY), BODY, KEY, NOW)).toBe('valid');
    expect(verifySignature(sign(T - 299, BODY), BODY, KEY, NOW)).toBe('valid');
  });

  it('refuses stale, missing, malformed and mismatched signatures', () => {
    expect(verifySignature(sign(T - 301, BODY), BODY, KEY, NOW)).toBe('stale');
    expect(verifySignature(sign(T + 301, BODY), BODY, KEY, NOW)).toBe('stale');
    expect(verifySignature(undefined, BODY, KEY, NOW)).toBe('missing');
    expect(verifySignature('nonsense', BODY, KEY, NOW)).toBe('malformed');
    expect(verifySignature(`t=${T}`, BODY, KEY, NOW)).toBe('malformed');
    expect(verifySignature(sign(T, BODY, 'another-key-0123456789abcdef'), BODY, KEY, NOW)).toBe('mismatch');
    expect(verifySignature(sign(T, Buffer.concat([BODY, Buffer.from('&x=1')])), BODY, KEY, NOW)).toBe(
      'mismatch',
    );
  });

  it('fails for any single changed byte of the body, and never throws', () => {
    fc.assert(
      fc.property(fc.nat(BODY.length - 1), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const tampered = Buffer.from(BODY);
        tampered[index] = ((tampered[index] ?? 0) + delta) % 256;
        expect(verifySignature(sign(T, BODY), tampered, KEY, NOW)).toBe('mismatch');
      }),
    );
    fc.assert(
      fc.property(fc.string(), (header) => {
        expect(['missing', 'malformed', 'stale', 'mismatch']).toContain(
          verifySignature(header, BODY, KEY, NOW),
        );
      }),
    );
  });
});

describe('urlKeyMatches', () => {
  it('matches only the exact key', () => {
    expect(urlKeyMatches('s3cret-key-value', 's3cret-key-value')).toBe(true);
    expect(urlKeyMatches('s3cret-key-valuE', 's3cret-key-value')).toBe(false);
    expect(urlKeyMatches('s3cret', 's3cret-key-value')).toBe(false);
    expect(urlKeyMatches(undefined, 's3cret-key-value')).toBe(false);
  });
});

describe('parseDelivery', () => {
  it('reads the type and nested data keys', () => {
    const delivery = parseDelivery(fieldsOf(BODY));
    expect(delivery?.type).toBe('unsubscribe');
    expect(delivery && field(delivery, 'email')).toBe('ada@example.com');
    expect(delivery && field(delivery, 'merges', 'FNAME')).toBe('Ada');
    expect(delivery && field(delivery, 'merges', 'LNAME')).toBeUndefined();
  });

  it('ignores unknown types and prototype-reaching keys', () => {
    expect(parseDelivery(fieldsOf(Buffer.from('type=hack&data[email]=x')))).toBeUndefined();
    const delivery = parseDelivery(
      fieldsOf(Buffer.from('type=profile&data[__proto__][polluted]=1&data[constructor][x]=1')),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(delivery?.data).toEqual({});
  });

  it('never throws on arbitrary fields', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 20 }), (entries) => {
        const map = new Map<string, string[]>([['type', ['cleaned']]]);
        for (const [name, value] of entries) map.set(name, [value]);
        expect(() => parseDelivery(map)).not.toThrow();
      }),
    );
  });
});

describe('deliveryId', () => {
  it('is the same for the same delivery and differs otherwise', () => {
    expect(deliveryId(BODY)).toBe(deliveryId(Buffer.from(BODY)));
    expect(deliveryId(BODY)).not.toBe(deliveryId(Buffer.concat([BODY, Buffer.from('&')])));
  });
});
