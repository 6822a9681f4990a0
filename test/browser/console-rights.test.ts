/**
 * The staff console's data-subject rights in headless Chromium against the local server: privacy finds a
 * person by email address (kept out of the console's address), reads their consent history, erases them
 * through the confirmation step and reads the receipt; gives another an access export and downloads it;
 * logs a complaint on the Requests page, finds it in the register and closes it; marketing may look a
 * person up but gets no actions. axe-core runs on each new page and state, nothing overflows at 375 and
 * 1280 px, and with `SCREENSHOTS=1` the README's screenshots are written to docs/images/.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { useChromium } from '../support/browser.ts';
import { consoleDriver, eventually, STATEMENT } from '../support/console-browser.ts';
import { uniqueEmail } from '../support/intake.ts';

const baseUrl = inject('baseUrl');
const browser = useChromium();
const { consoleUrl, signIn, expectAccessible, screenshots, tabTo, navigation, sendConsentEnquiry } =
  consoleDriver(browser, baseUrl);

async function findPerson(email: string): Promise<void> {
  const { page } = browser;
  await page.getByRole('link', { name: 'Person' }).click();
  await eventually(() => page.locator('h1').textContent()).toBe('Person');
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Find' }).click();
  await eventually(() => page.getByRole('heading', { name: 'Held at this address' }).count()).toBe(1);
}

/** What the console's tab keeps where it could outlive the page or be shared: the address, the storage. */
async function addressesKeptByTheTab(email: string): Promise<string[]> {
  const { page } = browser;
  const places = (await page.evaluate(
    '[location.href, history.length, JSON.stringify(sessionStorage), JSON.stringify(localStorage)].map(String)',
  )) as string[];
  return places.filter((place) => place.includes(email) || place.includes(encodeURIComponent(email)));
}

/** Logs a request through the API, as another member of the privacy team would. */
async function logByApi(body: Record<string, unknown>): Promise<{ id: string }> {
  const minted = await fetch(`${baseUrl}/__local/console/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'pat.privacy', groups: ['privacy'] }),
  });
  const { token } = (await minted.json()) as { token: string };
  const response = await fetch(`${baseUrl}/subject-requests`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

async function members(): Promise<{ email_address: string }[]> {
  return (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as { email_address: string }[];
}

describe('data-subject rights in the staff console', () => {
  it('lets privacy find a person by email, read their consent history, and erase them after a check', async () => {
    const { page } = browser;
    const name = `Erin Erasure ${Date.now()}`;
    const email = await sendConsentEnquiry(name, uniqueEmail('console-erase'));
    await signIn('pia.privacy', ['privacy']);
    await findPerson(email);

    const held = page.locator('.govuk-summary-list').first();
    expect(await held.textContent()).toContain(email);
    expect(await held.textContent()).toContain('Enquiries1');
    await eventually(() => page.locator('.timeline').textContent()).toContain(STATEMENT);
    expect(await page.locator('main').textContent()).toContain(name);
    // The address went to the API only: not into the console's address, history or storage.
    expect(page.url()).toBe(`${consoleUrl}#/person`);
    expect(await addressesKeptByTheTab(email)).toEqual([]);
    await expectAccessible();
    await screenshots('person-search');

    await page.getByLabel('How the request came in').selectOption('phone');
    await page.getByLabel('How you checked it is them').fill('called back on the number we hold');
    await page.getByRole('radio', { name: 'Erase everything held at this address' }).check();
    await expectAccessible();
    await screenshots('person-actions', '.actions');
    await page.getByRole('button', { name: 'Continue' }).click();
    const check = page.locator('.check');
    await eventually(() => check.getByRole('heading').textContent()).toBe(
      'Erase everything held at this address?',
    );
    const said = (await check.textContent()) ?? '';
    expect(said).toContain('every enquiry kept at this address are deleted');
    expect(said).toContain('the MailChimp member is permanently deleted');
    expect(said).toContain('kept only as a keyed hash on the suppression list');
    expect(said).toMatch(/backups \(point-in-time recovery\) still hold the data until \d{1,2} \w+ \d{4}/);
    // Nothing is erased until the second, explicit step.
    expect(await page.locator('.govuk-notification-banner').count()).toBe(0);
    await expectAccessible();
    await screenshots('person-erase-check', '.check');

    await page.getByRole('button', { name: 'Erase permanently' }).click();
    const banner = page.locator('.govuk-notification-banner');
    await eventually(() => banner.locator('h2').textContent()).toBe('Erasure: completed');
    const receipt = (await banner.textContent()) ?? '';
    expect(receipt).toContain('Erasure receipt');
    expect(receipt).toMatch(/Deleted: Contact1/);
    expect(receipt).toMatch(/Deleted: Enquiries1/);
    expect(receipt).toContain('Backups hold it until');
    expect(receipt).not.toContain(email);
    await eventually(() => page.locator('main').textContent()).toContain('No contact at this address');
    expect(await page.locator('main').textContent()).toContain('Every topic (reason: erasure)');
    await expectAccessible();
    await screenshots('person-erased');
    await expect
      .poll(async () => (await members()).some((member) => member.email_address === email), {
        timeout: 15_000,
      })
      .toBe(false);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('gives a person a copy of their data, downloaded from memory with the token in a header', async () => {
    const { page } = browser;
    const email = await sendConsentEnquiry(`Ada Access ${Date.now()}`, uniqueEmail('console-access'));
    await signIn('pia.privacy', ['privacy']);
    await findPerson(email);
    await page.getByLabel('How you checked it is them').fill('replied from the address we hold');
    await page.getByRole('radio', { name: /access export/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    const banner = page.locator('.govuk-notification-banner');
    await eventually(() => banner.locator('h2').textContent()).toBe(
      'Access: a copy of their data: completed',
    );
    expect(await banner.textContent()).toContain('Export available until');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the export (JSON)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^access-[0-9a-f-]{36}\.json$/);
    const bundle = JSON.parse(readFileSync((await download.path()) ?? '', 'utf8'));
    expect(bundle.subject.email).toBe(email);
    expect(JSON.stringify(bundle.consentHistory)).toContain(STATEMENT);
    await expectAccessible();
    expect(browser.consoleErrors).toEqual([]);
  });

  it('logs a complaint on the Requests page, lists it in the register, and closes it', async () => {
    const { page } = browser;
    // A complaint not acknowledged within 30 days, and a request waiting for the person to confirm.
    const late = await logByApi({
      type: 'complaint',
      email: uniqueEmail('console-late'),
      channel: 'email',
      receivedAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
      details: `Nobody answered (${Date.now()}).`,
    });
    await logByApi({
      type: 'access',
      email: uniqueEmail('console-unverified'),
      channel: 'web',
      identity: { verified: false },
    });
    await signIn('pia.privacy', ['privacy']);
    await page.getByRole('link', { name: 'Requests' }).click();
    await eventually(() => page.locator('.count').count()).toBe(1);
    await page.getByRole('button', { name: 'Log a new request' }).click();
    await page.getByLabel('Type of request').selectOption('complaint');
    // A complaint needs no identity check: the question is not asked.
    expect(await page.getByRole('group', { name: 'Have you confirmed it is them?' }).isVisible()).toBe(false);
    await page.getByLabel('Their email address').fill(uniqueEmail('console-complaint'));
    await page.getByLabel('How the request came in').selectOption('post');
    await page.getByLabel('Details of the complaint').fill(`Too many emails (${Date.now()}).`);
    await expectAccessible();
    await screenshots('requests-new');
    await page.getByRole('button', { name: 'Log the request' }).click();

    await eventually(() => page.locator('h2').first().textContent()).toBe('Complaint request');
    const reference = (await page.locator('.govuk-summary-list code.reference').textContent()) ?? '';
    expect(reference).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.locator('.govuk-summary-list').textContent()).toContain('StatusOpen');
    // Only what the register allows for an open complaint: close or cancel, never extend or refuse.
    const actions = await page.locator('form.action h3').allTextContents();
    expect(actions).toEqual(['Close the complaint', 'Cancel the request']);
    await expectAccessible();

    await page.getByRole('button', { name: 'Back to the register' }).click();
    const opener = page.getByRole('button', { name: new RegExp(`request ${reference.slice(0, 8)}$`) });
    await eventually(() => opener.count()).toBe(1);
    const row = page.getByRole('row').filter({ has: opener });
    expect(await row.textContent()).toMatch(/Complaint.*Post.*Open.*\d+ days/);
    // Overdue first, then by due date, and the unverified ones (no clock yet) last.
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows[0]).toContain(late.id.slice(0, 8));
    expect(rows[0]).toMatch(/Overdue by 1\d days/);
    expect(rows.at(-1)).toContain('No clock until confirmed');
    await expectAccessible();
    await screenshots('requests');

    await opener.click();
    await eventually(() => page.locator('form.action').count()).toBe(2);
    await page.getByLabel('Outcome').fill('Apologised; taken off every list.');
    await page.getByRole('button', { name: 'Close the complaint' }).click();
    await eventually(() => page.locator('.govuk-notification-banner').textContent()).toContain(
      'Complaint closed.',
    );
    expect(await page.locator('.govuk-summary-list').textContent()).toContain('StatusClosed');
    expect(await page.locator('table').last().textContent()).toContain('Apologised; taken off every list.');
    expect(await page.locator('form.action').count()).toBe(0);
    await expectAccessible();
    await screenshots('request-closed');
    expect(browser.consoleErrors).toEqual([]);
  });

  it('names the fields to fix when a request is logged without what it needs', async () => {
    const { page } = browser;
    await signIn('pia.privacy', ['privacy']);
    await page.getByRole('link', { name: 'Requests' }).click();
    await page.getByRole('button', { name: 'Log a new request' }).click();
    await page.getByLabel('Type of request').selectOption('erasure');
    await page.getByRole('button', { name: 'Log the request' }).click();
    const summary = page.locator('.govuk-error-summary');
    await eventually(() => summary.getByRole('link').allTextContents()).toEqual([
      'Enter their email address',
      'Say whether you have confirmed it is them',
    ]);
    await summary.getByRole('link', { name: 'Enter their email address' }).click();
    expect(await page.evaluate('document.activeElement.id')).toBe('request-email');
    await expectAccessible();
  });

  it('lets marketing look a person up from the keyboard, with no actions', async () => {
    const { page } = browser;
    const email = await sendConsentEnquiry(`Mo Marketing ${Date.now()}`, uniqueEmail('console-lookup'));
    await signIn('mel.marketing', ['marketing']);
    expect(await navigation()).toEqual(['Lists', 'Person']);
    await page.getByRole('link', { name: 'Person' }).focus();
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('h1').textContent()).toBe('Person');
    await tabTo('person-email');
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('.timeline').textContent()).toContain(STATEMENT);
    expect(await page.getByRole('heading', { name: 'Act on their request' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Continue' }).count()).toBe(0);
    await expectAccessible();
    expect(browser.consoleErrors).toEqual([]);
  });
});
