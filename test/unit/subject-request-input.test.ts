/** What staff send to the register: every field checked, errors name rules and never values. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../shared/domain/errors.ts';
import { parseAction, parseNewRequest } from '../../shared/use-cases/subject-request-input.ts';

const NOW = new Date('2026-11-23T10:00:00Z');
const TOPICS = [
  { id: 'newsletter', label: 'Newsletter' },
  { id: 'offers', label: 'Offers' },
];

describe('a new request', () => {
  it('takes a verified withdrawal of named topics, with the address in its canonical form', () => {
    expect(
      parseNewRequest(
        {
          type: 'withdrawal',
          email: ' Ada@Example.COM ',
          channel: 'phone',
          identity: { verified: true, method: 'called back' },
          topics: ['offers', 'offers'],
        },
        NOW,
        TOPICS,
      ),
    ).toEqual({
      type: 'withdrawal',
      channel: 'phone',
      email: 'ada@example.com',
      receivedAt: NOW,
      verifiedBy: 'called back',
      input: { topics: ['offers'] },
    });
  });

  it('refuses fields another type takes, unknown topics and a time in the future', () => {
    const attempt = () =>
      parseNewRequest(
        {
          type: 'access',
          email: 'ada@example.com',
          channel: 'email',
          identity: { verified: false },
          topics: ['offers'],
          receivedAt: '2026-11-24T10:00:00Z',
        },
        NOW,
        TOPICS,
      );
    expect(attempt).toThrow(InvalidInputError);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidInputError).fields).toEqual({
        topics: 'not_allowed',
        receivedAt: 'in_the_future',
      });
    }
  });

  it('never throws anything but InvalidInputError, and never echoes what was sent', () => {
    fc.assert(
      fc.property(fc.anything(), (body) => {
        try {
          parseNewRequest(body, NOW, TOPICS);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError);
          const text = JSON.stringify((error as InvalidInputError).fields);
          for (const value of Object.values((body ?? {}) as Record<string, unknown>)) {
            if (typeof value === 'string' && value.length > 12) expect(text).not.toContain(value);
          }
        }
      }),
    );
  });
});

describe('an action', () => {
  it('needs an explanation for a refusal for another reason', () => {
    expect(() => parseAction('refuse', { reason: 'other' })).toThrow(InvalidInputError);
    expect(parseAction('refuse', { reason: 'excessive' })).toEqual({
      kind: 'refuse',
      reason: 'excessive',
      explanation: '',
    });
  });

  it('never throws anything but InvalidInputError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('verify', 'extend', 'refuse', 'close', 'cancel' as const),
        fc.anything(),
        (kind, body) => {
          try {
            parseAction(kind, body);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInputError);
          }
        },
      ),
    );
  });
});
