import { describe, expect, it } from 'vitest';
import type { TopicStatus } from '../../shared/domain/consent.ts';
import { desiredMember } from '../../shared/domain/mailchimp-member.ts';

const config = { topics: [{ id: 'newsletter' }, { id: 'offers' }] };
const topics = (entries: Record<string, TopicStatus>) =>
  new Map(Object.entries(entries).map(([topic, status]) => [topic, { status }]));

describe('desiredMember', () => {
  it('subscribes a consenting person with a tag per topic, active where mailable', () => {
    expect(desiredMember(topics({ newsletter: 'consent' }), config)).toEqual({
      kind: 'subscribed',
      tags: [
        { name: 'topic:newsletter', active: true },
        { name: 'topic:offers', active: false },
        { name: 'soft-opt-in', active: false },
      ],
    });
  });

  it('marks a person mailable only under soft opt-in so campaigns can offer the opt-out', () => {
    expect(desiredMember(topics({ offers: 'soft_opt_in', newsletter: 'withdrawn' }), config)).toEqual({
      kind: 'subscribed',
      tags: [
        { name: 'topic:newsletter', active: false },
        { name: 'topic:offers', active: true },
        { name: 'soft-opt-in', active: true },
      ],
    });
  });

  it('drops the soft opt-in tag once any topic has express consent', () => {
    const member = desiredMember(topics({ offers: 'soft_opt_in', newsletter: 'consent' }), config);
    expect(member).toEqual({
      kind: 'subscribed',
      tags: [
        { name: 'topic:newsletter', active: true },
        { name: 'topic:offers', active: true },
        { name: 'soft-opt-in', active: false },
      ],
    });
  });

  it.each<[string, Record<string, TopicStatus>]>([
    ['nobody', {}],
    ['a pending double opt-in (MailChimp would send its own confirmation)', { newsletter: 'pending' }],
    ['a withdrawn person', { newsletter: 'withdrawn', offers: 'withdrawn' }],
    ['a person with no permission', { newsletter: 'none' }],
    ['a permission for a topic no longer offered', { retired: 'consent' }],
  ])('leaves %s unsubscribed', (_, permissions) => {
    expect(desiredMember(topics(permissions), config)).toEqual({ kind: 'unsubscribed' });
  });
});
