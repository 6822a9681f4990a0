/**
 * The demo page in headless Chromium, the way a visitor uses it: no JavaScript of ours, real form posts,
 * the browser's own redirect handling and CSP enforcement. Screenshots go to test-results/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { documentClient, scanAll, uniqueEmail } from '../support/intake.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/browser');

let context: BrowserContext;
let page: Page;
let userDataDir: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'consent-desk-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // A phone-sized viewport: the page must work there.
    viewport: { width: 390, height: 844 },
    locale: 'en-GB',
  });
});

beforeEach(async () => {
  await page?.close();
  page = await context.newPage();
  // A CSP violation (e.g. a blocked inline style) shows up as a console error.
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
});

afterAll(async () => {
  await context?.close();
  db.destroy();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function topicsOf(email: string) {
  return (await scanAll(db, tableName)).filter((item) => item.type === 'topic' && item.email === email);
}

describe('the demo page in a browser', () => {
  it('sends the consent form with the box ticked and lands on the thank-you page, pending confirmation', async () => {
    const email = uniqueEmail('browser-consent');
    await page.goto(`${baseUrl}/`);
    const form = page.getByRole('form', { name: 'Form “contact”' });
    const consent = form.getByRole('checkbox');
    expect(await consent.isChecked()).toBe(false);

    await form.getByRole('textbox', { name: /^Your name/ }).fill('Ada Example');
    await form.getByRole('textbox', { name: /^Email/ }).fill(email);
    await form.getByRole('textbox', { name: /^Message/ }).fill('Please call me back about a website.');
    await consent.check();
    await page.screenshot({ path: join(SCREENSHOTS, 'consent-form-filled.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/enquiries\/thank-you$/), form.getByRole('button').click()]);

    await expect.poll(() => page.locator('h1').textContent()).toBe('Thank you');
    await page.screenshot({ path: join(SCREENSHOTS, 'consent-thank-you.png'), fullPage: true });
    // Double opt-in: nothing is sent to the list until the person confirms from the email.
    expect(await topicsOf(email)).toEqual([
      expect.objectContaining({ topic: 'newsletter', status: 'pending' }),
    ]);
    expect(consoleErrors).toEqual([]);
  });

  it('sends the soft-opt-in form without the opt-out and records soft opt-in', async () => {
    const email = uniqueEmail('browser-soft');
    await page.goto(`${baseUrl}/`);
    const form = page.getByRole('form', { name: 'Form “quote”' });
    expect(await form.getByRole('checkbox').isChecked()).toBe(false);

    await form.getByRole('textbox', { name: /^Your name/ }).fill('Bo Example');
    await form.getByRole('textbox', { name: /^Email/ }).fill(email);
    await form.getByRole('textbox', { name: /^Company/ }).fill('Example Trading Ltd');
    await form.getByRole('textbox', { name: /^Message/ }).fill('A quote for ten laptops, please.');
    await page.screenshot({ path: join(SCREENSHOTS, 'quote-form-filled.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/enquiries\/thank-you$/), form.getByRole('button').click()]);

    await page.screenshot({ path: join(SCREENSHOTS, 'quote-thank-you.png'), fullPage: true });
    expect(await topicsOf(email)).toEqual([
      expect.objectContaining({ topic: 'offers', status: 'soft_opt_in' }),
    ]);
    expect(consoleErrors).toEqual([]);
  });

  it('does not let a visitor submit the consent form without the required fields', async () => {
    await page.goto(`${baseUrl}/`);
    const form = page.getByRole('form', { name: 'Form “contact”' });

    await form.getByRole('button').click();

    // The browser's own validation keeps the visitor on the page.
    expect(new URL(page.url()).pathname).toBe('/');
    expect(
      await form
        .getByRole('textbox', { name: /^Email/ })
        .evaluate((input) => (input as { validity: { valid: boolean } }).validity.valid),
    ).toBe(false);
  });
});
