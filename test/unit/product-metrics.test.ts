/**
 * The product's metrics as CloudWatch receives them (embedded-format log lines): permissions granted and
 * withdrawn by basis, unsubscribes, and what MailChimp holds compared with what we hold.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { retentionSchema } from '../../shared/config/schema.ts';
import { ALL_TOPICS } from '../../shared/domain/consent.ts';
import {
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
} from '../../shared/domain/contact-change.ts';
import { desiredMember, memberMatches } from '../../shared/domain/mailchimp-member.ts';
import { timeMetric } from '../../shared/log.ts';
import type { ContactWrite } from '../../shared/ports/contacts-store.ts';
import { countPermissionChanges } from '../../shared/use-cases/permission-metrics.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
const RETENTION = z.parse(retentionSchema, {});
const STATEMENT = { version: '2026-11', text: 'Tick to receive our monthly newsletter by email.' };
const EMPTY: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };

let lines: Record<string, unknown>[];
beforeEach(() => {
  lines = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(JSON.parse(line)));
});
afterEach(() => vi.restoreAllMocks());

/** Each metric line as `name{dimension=value,...} value unit`. */
const metrics = () =>
  lines.map((line) => {
    const { _aws, ...rest } = line as {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] };
    } & Record<string, unknown>;
    const metric = _aws.CloudWatchMetrics[0]?.Metrics[0];
    const name = metric?.Name ?? '';
    const dimensions = Object.entries(rest)
      .filter(([key]) => key !== name)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(',');
    return `${name}{${dimensions}} ${String(rest[name])} ${metric?.Unit}`;
  });

function write(snapshot: ContactSnapshot, requests: RequestedEvent[], source: 'form' | 'link'): ContactWrite {
  let next = 0;
  const change = decideChange(snapshot, requests, {
    now: NOW,
    retention: RETENTION,
    allTopics: ['newsletter', 'offers'],
    source,
    actor: 'visitor',
    statement: STATEMENT,
    newEventId: () => `event-${++next}`,
  });
  return { now: NOW, contactId: 'c1', suppressionHash: 'h1', snapshot, change, source };
}

describe('countPermissionChanges', () => {
  it('counts a grant by its basis and source', () => {
    countPermissionChanges(
      write(
        EMPTY,
        [
          { type: 'consent_given', topic: 'newsletter' },
          { type: 'soft_opt_in_granted', topic: 'offers' },
        ],
        'form',
      ),
    );
    expect(metrics()).toEqual([
      'PermissionsChanged{event=consent_given,source=form} 1 Count',
      'PermissionsGranted{basis=consent,source=form} 1 Count',
      'PermissionsChanged{event=soft_opt_in_granted,source=form} 1 Count',
      'PermissionsGranted{basis=soft_opt_in,source=form} 1 Count',
    ]);
  });

  it('counts an unsubscribe from everything once, and each permission it withdrew by its basis', () => {
    const granted = write(
      EMPTY,
      [
        { type: 'consent_given', topic: 'newsletter' },
        { type: 'soft_opt_in_granted', topic: 'offers' },
      ],
      'form',
    );
    const held: ContactSnapshot = {
      contact: { version: 1, epoch: granted.change.contactEpoch },
      topics: new Map(granted.change.topics.map((topic) => [topic.topic, topic])),
      suppression: undefined,
    };
    lines.length = 0;
    countPermissionChanges(write(held, [{ type: 'withdrawn', topic: ALL_TOPICS }], 'link'));
    expect(metrics()).toEqual([
      'PermissionsChanged{event=withdrawn,source=link} 1 Count',
      'PermissionsWithdrawn{basis=consent,source=link} 1 Count',
      'PermissionsWithdrawn{basis=soft_opt_in,source=link} 1 Count',
      'Unsubscribes{source=link} 1 Count',
    ]);
  });

  it('counts nothing withdrawn for a refusal from someone who held nothing', () => {
    countPermissionChanges(write(EMPTY, [{ type: 'withdrawn', topic: 'newsletter' }], 'form'));
    expect(metrics().filter((line) => !line.startsWith('PermissionsChanged'))).toEqual([]);
  });
});

describe('timeMetric', () => {
  it('records whole milliseconds, never below zero', () => {
    timeMetric('SyncLag', 1234.6);
    timeMetric('SyncLag', -5);
    expect(metrics()).toEqual(['SyncLag{} 1235 Milliseconds', 'SyncLag{} 0 Milliseconds']);
  });
});

describe('memberMatches', () => {
  const config = { topics: [{ id: 'newsletter' }, { id: 'offers' }] };
  const consent = desiredMember(new Map([['newsletter', { status: 'consent' as const }]]), config);
  const nothing = desiredMember(new Map([['newsletter', { status: 'withdrawn' as const }]]), config);
  const tagsFor = ['topic:newsletter'];

  it('matches a subscribed member with exactly the tags of the mailable topics', () => {
    expect(memberMatches(consent, false, { status: 'subscribed', tags: tagsFor })).toBe(true);
    expect(memberMatches(consent, false, { status: 'subscribed', tags: [...tagsFor, 'topic:offers'] })).toBe(
      false,
    );
    expect(memberMatches(consent, false, { status: 'subscribed', tags: [] })).toBe(false);
    expect(memberMatches(consent, false, { status: 'pending', tags: [] })).toBe(true);
  });

  it('does not match someone mailable who is missing, unsubscribed or archived there', () => {
    expect(memberMatches(consent, false, undefined)).toBe(false);
    expect(memberMatches(consent, false, { status: 'unsubscribed', tags: tagsFor })).toBe(false);
    expect(memberMatches(consent, false, { status: 'archived', tags: tagsFor })).toBe(false);
  });

  it('matches nobody mailable only while MailChimp will not mail them either', () => {
    expect(memberMatches(nothing, false, undefined)).toBe(true);
    expect(memberMatches(nothing, false, { status: 'unsubscribed', tags: [] })).toBe(true);
    expect(memberMatches(nothing, false, { status: 'subscribed', tags: [] })).toBe(false);
  });

  it('wants a restricted contact absent or archived, whatever their permissions', () => {
    expect(memberMatches(consent, true, { status: 'archived', tags: tagsFor })).toBe(true);
    expect(memberMatches(consent, true, undefined)).toBe(true);
    expect(memberMatches(consent, true, { status: 'subscribed', tags: tagsFor })).toBe(false);
  });
});
