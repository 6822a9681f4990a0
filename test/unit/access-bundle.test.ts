import { describe, expect, it } from 'vitest';
import { ACCESS_BUNDLE_SCHEMA, buildAccessBundle, type HeldData } from '../../shared/domain/access-bundle.ts';
import { erasureReceipt } from '../../shared/domain/erasure-receipt.ts';

const now = new Date('2027-03-01T12:00:00Z');
const seconds = (iso: string) => Date.parse(iso) / 1000;

const held: HeldData = {
  email: 'ada@example.com',
  contact: {
    contactId: 'c'.repeat(32),
    name: 'Ada',
    restricted: false,
    expiresAt: seconds('2029-01-01T00:00:00Z'),
  },
  topics: [
    {
      topic: 'news',
      status: 'consent',
      since: '2027-01-01T10:00:00.000Z',
      formId: 'contact',
      statementVersion: 'v1',
      expiresAt: seconds('2029-01-01T00:00:00Z'),
    },
  ],
  history: [
    {
      at: '2027-01-02T10:00:00.000Z',
      type: 'consent_confirmed',
      topic: 'news',
      source: 'link',
      formId: 'contact',
      page: undefined,
      method: 'double_opt_in',
      statementVersion: 'v1',
      statementHash: 'h',
      statementText: 'Send me the newsletter',
      reason: undefined,
      expiresAt: seconds('2033-01-02T10:00:00Z'),
    },
    {
      at: '2027-01-01T10:00:00.000Z',
      type: 'consent_requested',
      topic: 'news',
      source: 'form',
      formId: 'contact',
      page: 'https://example.com/contact',
      method: 'checkbox',
      statementVersion: 'v1',
      statementHash: 'h',
      statementText: 'Send me the newsletter',
      reason: undefined,
      expiresAt: seconds('2033-01-01T10:00:00Z'),
    },
  ],
  enquiries: [
    {
      enquiryId: 'e1',
      formId: 'contact',
      receivedAt: '2026-02-01T10:00:00.000Z',
      fields: { name: 'Ada', message: 'Hello' },
      expiresAt: seconds('2027-02-01T10:00:00Z'),
    },
  ],
  suppression: undefined,
  mailchimp: { status: 'subscribed', tags: ['news'] },
};

describe('the access bundle', () => {
  const bundle = buildAccessBundle(held, {
    now,
    controller: 'Example Ltd',
    recipients: [{ name: 'MailChimp', role: 'processor', purpose: 'sending marketing email' }],
  });

  it('carries its schema version, the person, and the consent history oldest first with statement texts', () => {
    expect(bundle.schema).toBe(ACCESS_BUNDLE_SCHEMA);
    expect(bundle.subject).toEqual({ email: 'ada@example.com', name: 'Ada' });
    expect(bundle.consentHistory.map((event) => event.type)).toEqual([
      'consent_requested',
      'consent_confirmed',
    ]);
    expect(bundle.consentHistory[0]?.statementText).toBe('Send me the newsletter');
  });

  it('says when each item will be deleted, and marks expired ones not yet deleted', () => {
    expect(bundle.topics[0]).toMatchObject({ deletedAt: '2029-01-01T00:00:00.000Z', expired: false });
    expect(bundle.enquiries[0]).toMatchObject({ deletedAt: '2027-02-01T10:00:00.000Z', expired: true });
    expect(bundle.deletion.profileDeletedAt).toBe('2029-01-01T00:00:00.000Z');
  });

  it('names the recipients and what MailChimp holds, and states no suppression', () => {
    expect(bundle.recipients.map((recipient) => recipient.name)).toEqual(['MailChimp']);
    expect(bundle.mailchimp).toEqual({ status: 'subscribed', tags: ['news'] });
    expect(bundle.suppression).toMatchObject({ suppressed: false, allTopics: false, reason: null });
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(bundle);
  });
});

describe('the erasure receipt', () => {
  it('counts every kind, names nobody, and dates the end of the backup window', () => {
    const receipt = erasureReceipt({
      requestId: 'r1',
      erasedAt: now,
      deleted: { contact: 1, consentEvents: 100, enquiries: 50 },
      mailchimp: 'pending',
      backupRetentionDays: 35,
    });
    expect(receipt).toEqual({
      requestId: 'r1',
      erasedAt: '2027-03-01T12:00:00.000Z',
      deleted: {
        contact: 1,
        topics: 0,
        consentEvents: 100,
        enquiries: 50,
        movedLinks: 0,
        deliveryMarkers: 0,
        unsentEmails: 0,
      },
      mailchimp: 'pending',
      suppressed: true,
      backupsClearAt: '2027-04-05T12:00:00.000Z',
    });
    expect(JSON.stringify(receipt)).not.toMatch(/@|Ada/);
  });
});
