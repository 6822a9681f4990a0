/**
 * An old preferences link after a withdrawal from everything, against DynamoDB Local: it may ask for
 * consent again, but only through double opt-in, and it lifts no suppression until the person confirms.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { parseKeyRing, type TokenClaims, verifyToken } from '../../shared/domain/tokens.ts';
import { confirm, type LinkDeps, savePreferences, unsubscribe } from '../../shared/use-cases/links.ts';
import { submitEnquiry } from '../../shared/use-cases/submit-enquiry.ts';
import { runtimeConfig, TEST_KEY_RING } from '../support/config.ts';
import { contactItems, documentClient, fields, intakeHarness, uniqueEmail } from '../support/intake.ts';

const db = documentClient(inject('dynamoDbEndpoint'));
const tableName = inject('tableName');
/** The contact form confirming at once, so the person is mailable straight after the intake. */
const config = runtimeConfig({
  forms: runtimeConfig().forms.map((form) =>
    form.marketing.mode === 'consent'
      ? { ...form, marketing: { ...form.marketing, confirmation: 'none' } }
      : form,
  ),
});
const LINK_BASE = 'https://api.example.co.uk/v1';

function setUp() {
  const harness = intakeHarness(db, tableName, config);
  const deps: LinkDeps = {
    ...harness.deps,
    linkKeys: async () => parseKeyRing(TEST_KEY_RING),
    linkBaseUrl: LINK_BASE,
  };
  return { harness, deps };
}

const claimsFor = (contactId: string, epoch: number, at: Date, purpose: TokenClaims['purpose']) => ({
  contactId,
  purpose,
  epoch,
  issuedAt: Math.floor(at.getTime() / 1000),
});

describe('an old preferences link after an unsubscribe from everything', () => {
  it('asks for confirmation instead of granting, and lifts nothing until the person confirms', async () => {
    const { harness, deps } = setUp();
    const email = uniqueEmail('old-link');
    await submitEnquiry(harness.deps, {
      fields: fields({ form: 'contact', name: 'Ada', email, message: 'Hi', marketing_consent: 'on' }),
      method: 'json',
      page: undefined,
      baseUrl: LINK_BASE,
    });
    const contactId = harness.hasher.contactId(email);
    const linkSentAt = harness.clock.now;
    const preferences = claimsFor(contactId, 1, linkSentAt, 'preferences');
    harness.clock.now = new Date(linkSentAt.getTime() + 86_400_000);
    await unsubscribe(deps, claimsFor(contactId, 1, linkSentAt, 'unsubscribe'));
    harness.sent.length = 0;

    harness.clock.now = new Date(harness.clock.now.getTime() + 60_000);
    await savePreferences(deps, preferences, {
      everything: false,
      ticked: new Set(['newsletter', 'offers']),
    });

    const items = await contactItems(db, tableName, contactId);
    const topics = items.filter((item) => String(item.sk).startsWith('TOPIC#'));
    expect(topics).toEqual([
      expect.objectContaining({ topic: 'newsletter', status: 'pending' }),
      expect.objectContaining({ topic: 'offers', status: 'pending' }),
    ]);
    expect(topics.some((item) => 'gsi1pk' in item)).toBe(false);
    const suppressionKey = keys.suppression(harness.hasher.suppressionHash(email));
    expect((await db.send(new GetCommand({ TableName: tableName, Key: suppressionKey }))).Item).toMatchObject(
      {
        all: true,
      },
    );
    // A confirmation through the existing confirm flow, to the address itself.
    expect(harness.sent).toEqual([
      expect.objectContaining({ to: [email], subject: expect.stringMatching(/confirm/i) }),
    ]);
    const confirmUrl = /Confirm: (\S+)/.exec(harness.sent[0]?.text ?? '')?.[1] ?? '';
    expect(confirmUrl.startsWith(`${LINK_BASE}/confirm?token=`)).toBe(true);
    const check = verifyToken(
      parseKeyRing(TEST_KEY_RING),
      new URL(confirmUrl).searchParams.get('token') ?? undefined,
      'confirm',
      harness.clock.now,
    );
    if (!check.ok) throw new Error('the confirmation link does not verify');

    expect(await confirm(deps, check.claims)).toBe('changed');
    const confirmed = await contactItems(db, tableName, contactId);
    expect(confirmed.find((item) => item.sk === 'TOPIC#newsletter')).toMatchObject({ status: 'consent' });
  });
});
