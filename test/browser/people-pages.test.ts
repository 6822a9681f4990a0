/**
 * The privacy centre and the complaint form in headless Chromium: axe-core finds no serious or critical
 * problem on any of their pages, and a person with JavaScript switched off asks for the link, corrects
 * their details, deletes everything and makes a complaint with the pages' own buttons.
 */
import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useChromium } from '../support/browser.ts';
import { uniqueEmail } from '../support/intake.ts';
import { emailsTo } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const browser = useChromium();

let noScript: Browser | undefined;
beforeAll(async () => {
  noScript = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await noScript?.close();
});

async function sale(email: string, name: string): Promise<void> {
  const posted = await fetch(`${baseUrl}/enquiries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ form: 'quote', name, email, message: `Browser quote for ${email}` }),
  });
  expect(posted.status).toBe(201);
}

async function latestLink(email: string): Promise<string> {
  const sent = (await emailsTo(baseUrl, email)).filter((message) =>
    /privacy centre link/.test(message.subject),
  );
  const link = /\S+\/privacy-centre\?token=\S+/.exec(sent.at(-1)?.text ?? '')?.[0];
  if (!link) throw new Error('no privacy centre link in the email');
  return link;
}

/** axe-core in the page (evaluated, as the CSP allows no injected script tags): serious and critical fail. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axe.source);
  const result = (await page.evaluate('axe.run(document)')) as axe.AxeResults;
  const violations = result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
  expect(violations, name).toEqual([]);
}

const heading = (page: Page) => page.locator('h1').textContent();

describe('the people-facing pages in a browser', () => {
  it('have no serious or critical accessibility problems', async () => {
    const { page } = browser;
    const email = uniqueEmail('browser-axe');
    await sale(email, 'Axel Axe');
    await page.goto(`${baseUrl}/privacy-centre`);
    await expectAccessible(page, 'link request');
    await page.getByRole('textbox', { name: 'Email address' }).fill(email);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => heading(page)).toBe('Check your email');
    await expectAccessible(page, 'link sent');

    await page.goto(await latestLink(email));
    expect(await heading(page)).toBe('Your personal data');
    await expectAccessible(page, 'what we hold');
    await browser.shot('privacy-centre');
    await page.getByRole('button', { name: 'Delete all my data' }).click();
    await expect.poll(() => heading(page)).toBe('Are you sure you want to delete all your data?');
    await expectAccessible(page, 'delete check');

    await page.goto(`${baseUrl}/complaints`);
    await expectAccessible(page, 'complaint form');
    await browser.shot('complaints');
    expect(browser.consoleErrors).toEqual([]);
  });

  it('work with JavaScript switched off', async () => {
    const context = await noScript?.newContext({ javaScriptEnabled: false, locale: 'en-GB' });
    if (!context) throw new Error('Chromium did not start');
    const page = await context.newPage();
    try {
      const email = uniqueEmail('browser-noscript');
      await sale(email, 'Nora Script');
      await page.goto(`${baseUrl}/privacy-centre`);
      await page.getByRole('textbox', { name: 'Email address' }).fill(email);
      await page.getByRole('button', { name: 'Email me a link' }).click();
      await expect.poll(() => heading(page)).toBe('Check your email');

      await page.goto(await latestLink(email));
      await page.getByRole('textbox', { name: 'Name' }).fill('Nora Corrected');
      await page.getByRole('button', { name: 'Correct my details' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Your details are corrected');
      expect(await page.content()).toContain('Nora Corrected');

      await page.getByRole('button', { name: 'Delete all my data' }).click();
      await page.getByRole('button', { name: 'Yes, delete all my data' }).click();
      await expect.poll(() => heading(page)).toBe('Your data is deleted');

      await page.goto(`${baseUrl}/complaints`);
      await page.getByRole('textbox', { name: 'Your email address' }).fill(email);
      await page.getByRole('combobox', { name: 'What is it about?' }).selectOption('marketing_emails');
      await page.getByRole('textbox', { name: 'Your complaint' }).fill('Please stop emailing me.');
      await page.getByRole('button', { name: 'Send my complaint' }).click();
      await expect.poll(() => heading(page)).toBe('Complaint received');
    } finally {
      await context.close();
    }
  });
});
