/**
 * The pages behind the links in our emails, in headless Chromium: a person confirms a double opt-in,
 * unsubscribes, and changes topics in the preference centre by pressing the pages' own buttons (plain
 * form posts, no JavaScript). Screenshots go to test-results/browser/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { documentClient, scanAll, uniqueEmail } from '../support/intake.ts';
import { linkIn, onlyEmailTo } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));
const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/browser');

let context: BrowserContext;
let page: Page;
let userDataDir: string;
let consoleErrors: string[] = [];

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
    // A phone-sized viewport: people open these links from their mail app.
    viewport: { width: 390, height: 844 },
    locale: 'en-GB',
  });
});

beforeEach(async () => {
  await page?.close();
  consoleErrors = [];
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

async function topicStatuses(email: string): Promise<Record<string, unknown>> {
  const topics = (await scanAll(db, tableName)).filter(
    (item) => item.type === 'topic' && item.email === email,
  );
  return Object.fromEntries(topics.map((item) => [item.topic, item.status]));
}

const heading = () => page.locator('h1').textContent();
const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** Fills and sends one of the demo page's forms, as a visitor would. */
async function sendDemoForm(formId: 'contact' | 'quote', email: string) {
  await page.goto(`${baseUrl}/`);
  const form = page.getByRole('form', { name: `Form “${formId}”` });
  await form.getByRole('textbox', { name: /^Your name/ }).fill('Lin Example');
  await form.getByRole('textbox', { name: /^Email/ }).fill(email);
  if (formId === 'quote') await form.getByRole('textbox', { name: /^Company/ }).fill('Example Trading Ltd');
  await form.getByRole('textbox', { name: /^Message/ }).fill('Hello from the browser tests.');
  if (formId === 'contact') await form.getByRole('checkbox').check();
  await Promise.all([page.waitForURL(/\/enquiries\/thank-you$/), form.getByRole('button').click()]);
}

describe('the email link pages in a browser', () => {
  it('confirm a double opt-in with the Confirm button, then unsubscribe with the page button', async () => {
    const email = uniqueEmail('browser-links');
    await sendDemoForm('contact', email);
    expect(await topicStatuses(email)).toEqual({ newsletter: 'pending' });
    const confirmation = await onlyEmailTo(baseUrl, email, /confirm/i);

    await page.goto(linkIn(confirmation, 'confirm'));
    expect(await heading()).toBe('Confirm your subscription');
    await shot('links-confirm-page');
    // Opening the page alone confirms nothing.
    expect(await topicStatuses(email)).toEqual({ newsletter: 'pending' });
    await page.getByRole('button', { name: /Confirm/ }).click();
    await expect.poll(heading).toBe('Subscription confirmed');
    await shot('links-confirmed');
    expect(await topicStatuses(email)).toEqual({ newsletter: 'consent' });

    const unsubscribeUrl = linkIn(confirmation, 'unsubscribe');
    await page.goto(unsubscribeUrl);
    expect(await heading()).toBe('Unsubscribe');
    await shot('links-unsubscribe-page');
    expect(await topicStatuses(email)).toEqual({ newsletter: 'consent' });
    await page.getByRole('button', { name: /Unsubscribe/ }).click();
    await expect.poll(heading).toBe('You are unsubscribed');
    await shot('links-unsubscribed');
    // Answered in place: no redirect away from the link.
    expect(page.url()).toBe(unsubscribeUrl);
    expect(await page.content()).not.toContain(email);
    expect(await topicStatuses(email)).toEqual({ newsletter: 'withdrawn' });
    expect(consoleErrors).toEqual([]);
  });

  it('let a soft-opt-in contact change topics in the preference centre and show what was saved', async () => {
    const email = uniqueEmail('browser-preferences');
    await sendDemoForm('quote', email);
    expect(await topicStatuses(email)).toEqual({ offers: 'soft_opt_in' });
    const welcome = await onlyEmailTo(baseUrl, email, /welcome/i);

    await page.goto(linkIn(welcome, 'preferences'));
    expect(await heading()).toBe('Your email choices');
    const newsletter = page.getByRole('checkbox', { name: /Monthly newsletter/ });
    const offers = page.getByRole('checkbox', { name: /Offers on services/ });
    expect(await newsletter.isChecked()).toBe(false);
    expect(await offers.isChecked()).toBe(true);
    await shot('links-preferences-page');
    expect(await topicStatuses(email)).toEqual({ offers: 'soft_opt_in' });

    await newsletter.check();
    await offers.uncheck();
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await expect.poll(heading).toBe('Your choices are saved');
    await shot('links-preferences-saved');
    expect(await page.getByRole('checkbox', { name: /Monthly newsletter/ }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: /Offers on services/ }).isChecked()).toBe(false);
    expect(await topicStatuses(email)).toEqual({ newsletter: 'consent', offers: 'withdrawn' });
    expect(consoleErrors).toEqual([]);
  });
});
