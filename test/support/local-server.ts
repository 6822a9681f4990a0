/**
 * Black-box views of the running local server (`npm start`) for the e2e and browser tests: its outbox,
 * the links in the emails it sent, and the table items of one contact.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OutboxEntry } from '../../shared/adapters/mail/outbox.ts';
import { scanAll } from './intake.ts';

export type { OutboxEntry };

export type Item = Record<string, unknown>;

export type LinkKind = 'confirm' | 'unsubscribe' | 'preferences';

/** The line each link has in the plain-text part of a marketing email. */
const LINK_LABELS: Readonly<Record<LinkKind, string>> = {
  confirm: 'Confirm',
  unsubscribe: 'Unsubscribe',
  preferences: 'Choose your emails',
};

/** The emails sent so far, once the mailer has sent everything queued (or after 10 s of waiting). */
export async function outbox(baseUrl: string): Promise<OutboxEntry[]> {
  await mailSettled(baseUrl);
  const response = await fetch(`${baseUrl}/__local/outbox`);
  if (response.status !== 200) throw new Error(`GET /__local/outbox answered ${response.status}`);
  return (await response.json()) as OutboxEntry[];
}

/** Waits until no queued email is left unsent, at most `timeoutMs`. */
export async function mailSettled(baseUrl: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/__local/mail/waiting`);
    const { waiting } = (await response.json()) as { waiting: number };
    if (waiting === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function emailsTo(baseUrl: string, address: string): Promise<OutboxEntry[]> {
  return (await outbox(baseUrl)).filter((email) => email.to === address);
}

/** The one email sent to `address` whose subject matches; fails on none or several. */
export async function onlyEmailTo(baseUrl: string, address: string, subject: RegExp): Promise<OutboxEntry> {
  const found = (await emailsTo(baseUrl, address)).filter((email) => subject.test(email.subject));
  if (found.length !== 1)
    throw new Error(`expected one email to ${address} matching ${subject}, found ${found.length}`);
  return found[0] as OutboxEntry;
}

/** The link on the `Label: <url>` line of the email's text. */
export function linkIn(email: OutboxEntry, kind: LinkKind): string {
  const line = email.text.split('\n').find((text) => text.startsWith(`${LINK_LABELS[kind]}: `));
  if (!line) throw new Error(`no ${kind} link in the email "${email.subject}"`);
  return line.slice(LINK_LABELS[kind].length + 2).trim();
}

/** Every item of the contact's partition: profile, topics and consent events. */
export async function contactPartition(
  db: DynamoDBDocumentClient,
  tableName: string,
  contactId: string,
): Promise<Item[]> {
  return sortByKey((await scanAll(db, tableName)).filter((item) => item.pk === `CONTACT#${contactId}`));
}

/** The contact id the enquiry from `address` was filed under. */
export async function contactIdOf(
  db: DynamoDBDocumentClient,
  tableName: string,
  address: string,
): Promise<string> {
  const ids = new Set(
    (await scanAll(db, tableName))
      .filter((item) => item.type === 'contact' && item.email === address)
      .map((item) => String(item.contactId)),
  );
  if (ids.size !== 1) throw new Error(`expected one contact for ${address}, found ${ids.size}`);
  return [...ids][0] as string;
}

export async function suppressionItems(db: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  return sortByKey(
    (await scanAll(db, tableName)).filter((item) => String(item.pk).startsWith('SUPPRESSION#')),
  );
}

function sortByKey(items: Item[]): Item[] {
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}
