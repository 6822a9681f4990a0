/**
 * The staff console in headless Chromium against the local server: local sign-in per staff group, the
 * pages each group sees, a list's CSV download matching GET /contacts, an enquiry opened, and a person's
 * consent history with the statement text. axe-core runs on every page (no serious or critical
 * violations), the strict CSP must raise no console errors, nothing overflows at 375 and 1280 px, and
 * with `SCREENSHOTS=1` the README's screenshots are written to docs/images/.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { SeedStatus } from '../../local/seed.ts';
import { useChromium } from '../support/browser.ts';
import { consoleDriver, eventually, STATEMENT } from '../support/console-browser.ts';

const baseUrl = inject('baseUrl');
const browser = useChromium();
const { consoleUrl, signIn, expectAccessible, screenshots, tabTo, navigation, sendConsentEnquiry } =
  consoleDriver(browser, baseUrl);

/** A local staff token, as the console's local sign-in gets one. */
async function tokenFor(groups: string[]): Promise<string> {
  const response = await fetch(`${baseUrl}/__local/console/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'list-checker', groups }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** Every contact id on a list, through the API the console calls, following `next` to the end. */
async function listedIds(topic: string, bearer: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ topic, basis: 'any', limit: '1000', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${baseUrl}/contacts?${query}`, {
      headers: { Authorization: `Bearer ${bearer}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { contactId: string }[]; next: string | null };
    ids.push(...body.items.map((item) => item.contactId));
    cursor = body.next;
  } while (cursor);
  return ids;
}

beforeAll(async () => {
  const started = await fetch(`${baseUrl}/__local/seed`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ contacts: 250, seed: 5150 }),
  });
  expect(started.status).toBeLessThan(300);
  await vi.waitFor(
    async () => {
      const status = (await (await fetch(`${baseUrl}/__local/seed`)).json()) as SeedStatus;
      if (status.state !== 'done') throw new Error(`Seeding: ${status.state}`);
    },
    { timeout: 50_000, interval: 500 },
  );
});

describe('the staff console in a browser', () => {
  it('signs in locally as marketing, shows Lists only, and downloads a CSV matching GET /contacts', async () => {
    const { page } = browser;
    await page.goto(consoleUrl);
    await eventually(() => page.locator('h1').textContent()).toBe('Sign in (local)');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.locator('.govuk-error-summary').isVisible()).toBe(true);
    await expectAccessible();
    await screenshots('sign-in');

    await signIn('mia.marketing', ['marketing']);
    expect(await navigation()).toEqual(['Lists', 'Person']);
    await page.getByLabel('Topic').selectOption('offers');
    await page.getByRole('button', { name: 'Show list' }).click();
    await eventually(() => page.locator('.count').textContent()).toMatch(/on the first page/);
    await expectAccessible();
    await screenshots('lists');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('offers-any.csv');
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('contact_id,email,name,topic,basis,since,source,form');
    const downloaded = rows.slice(1).map((row) => row.split(',', 1)[0]);
    const listed = await listedIds('offers', await tokenFor(['marketing']));
    expect(listed.length).toBeGreaterThan(0);
    expect(downloaded.sort()).toEqual(listed.sort());
    await expect
      .poll(() => page.locator('.govuk-notification-banner').textContent())
      .toContain(`${listed.length.toLocaleString('en-GB')} people`);
    await expectAccessible();
    expect(browser.consoleErrors).toEqual([]);
  });

  it('works from the keyboard alone: sign in, choose a list, show it', async () => {
    const { page } = browser;
    await page.goto(consoleUrl);
    await eventually(() => page.locator('h1').textContent()).toBe('Sign in (local)');
    await tabTo('username');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('kim.keyboard');
    await page.keyboard.press('Tab'); // the first group: marketing
    await page.keyboard.press('Space');
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('.header__user').textContent()).toContain('kim.keyboard');
    await eventually(() => page.evaluate('document.activeElement.textContent')).toBe('Lists');
    await tabTo('topic');
    await page.keyboard.press('Tab'); // basis
    await page.keyboard.press('Tab'); // Show list
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('.count').textContent()).toMatch(/on the first page|Nobody/);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('shows a marketing user no Requests or Audit page, even when asked for by its address', async () => {
    const { page } = browser;
    await signIn('max.marketing', ['marketing']);
    expect(await navigation()).toEqual(['Lists', 'Person']);
    for (const refused of ['audit', 'requests']) {
      await page.goto(`${consoleUrl}#/${refused}`);
      await eventually(() => page.locator('h1').textContent()).toBe('Lists');
      expect(page.url()).toMatch(/#\/lists$/);
    }
    expect(browser.consoleErrors).toEqual([]);
  });

  it('lets sales open an enquiry, and nothing else', async () => {
    const { page } = browser;
    const name = `Sam Sales ${Date.now()}`;
    await sendConsentEnquiry(name);
    await signIn('sam.sales', ['sales']);
    expect(await navigation()).toEqual(['Enquiries']);
    await eventually(() => page.getByRole('cell', { name }).count()).toBe(1);
    await expectAccessible();
    await screenshots('enquiries');

    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name }) });
    await row.getByRole('button').click();
    await eventually(() => page.locator('h2').first().textContent()).toMatch(/^Enquiry received/);
    expect(await page.locator('.govuk-summary-list').textContent()).toContain(
      'Please send me the newsletter.',
    );
    // Sales may not read a contact: no way to the Person page.
    expect(await page.getByRole('button', { name: 'Open this person' }).count()).toBe(0);
    await expectAccessible();
    expect(browser.consoleErrors).toEqual([]);
  });

  it('lets privacy open a person from an enquiry and read the consent history with the statement text', async () => {
    const { page } = browser;
    const name = `Pat Person ${Date.now()}`;
    await sendConsentEnquiry(name);
    await signIn('priya.privacy', ['privacy']);
    expect(await navigation()).toEqual(['Enquiries', 'Person', 'Requests', 'Audit']);
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name }) });
    await eventually(() => row.count()).toBe(1);
    await row.getByRole('button').click();
    await page.getByRole('button', { name: 'Open this person' }).click();
    await eventually(() => page.locator('h1').textContent()).toBe('Person');
    await eventually(() => page.locator('.timeline').textContent()).toContain(STATEMENT);
    expect(await page.locator('.govuk-summary-list').textContent()).toContain(name);
    // The person is named only in memory: the address bar names the page.
    expect(page.url()).toBe(`${consoleUrl}#/person`);
    await expectAccessible();
    await screenshots('person');

    await page.getByRole('link', { name: 'Audit' }).click();
    await expect
      .poll(() => page.locator('.count').textContent())
      .toMatch(/^Showing \d+ of \d+ loaded entries\.$/);
    await page.getByLabel('Staff member').fill('priya.privacy');
    const shown = await page.getByRole('row').filter({ hasText: 'priya.privacy' }).count();
    expect(shown).toBeGreaterThan(0);
    expect(await page.getByRole('row').filter({ hasText: 'sam.sales' }).count()).toBe(0);
    await expectAccessible();
    await screenshots('audit');
    expect(browser.consoleErrors).toEqual([]);
  });
});
