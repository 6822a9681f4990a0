/**
 * The demo page in headless Chromium, the way a visitor uses it: no JavaScript of ours, real form posts,
 * the browser's own redirect handling and CSP enforcement. Screenshots go to test-results/.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useChromium } from '../support/browser.ts';
import { documentClient, scanAll, uniqueEmail } from '../support/intake.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));

const browser = useChromium();
afterAll(() => db.destroy());

async function topicsOf(email: string) {
  return (await scanAll(db, tableName)).filter((item) => item.type === 'topic' && item.email === email);
}

describe('the demo page in a browser', () => {
  it('sends the consent form with the box ticked and lands on the thank-you page, pending confirmation', async () => {
    const email = uniqueEmail('browser-consent');
    await browser.page.goto(`${baseUrl}/`);
    const form = browser.page.getByRole('form', { name: 'Form “contact”' });
    const consent = form.getByRole('checkbox');
    expect(await consent.isChecked()).toBe(false);

    await form.getByRole('textbox', { name: /^Your name/ }).fill('Ada Example');
    await form.getByRole('textbox', { name: /^Email/ }).fill(email);
    await form.getByRole('textbox', { name: /^Message/ }).fill('Please call me back about a website.');
    await consent.check();
    await browser.shot('consent-form-filled');
    await Promise.all([browser.page.waitForURL(/\/enquiries\/thank-you$/), form.getByRole('button').click()]);

    await expect.poll(() => browser.page.locator('h1').textContent()).toBe('Thank you');
    await browser.shot('consent-thank-you');
    // Double opt-in: nothing is sent to the list until the person confirms from the email.
    expect(await topicsOf(email)).toEqual([
      expect.objectContaining({ topic: 'newsletter', status: 'pending' }),
    ]);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('sends the soft-opt-in form without the opt-out and records soft opt-in', async () => {
    const email = uniqueEmail('browser-soft');
    await browser.page.goto(`${baseUrl}/`);
    const form = browser.page.getByRole('form', { name: 'Form “quote”' });
    expect(await form.getByRole('checkbox').isChecked()).toBe(false);

    await form.getByRole('textbox', { name: /^Your name/ }).fill('Bo Example');
    await form.getByRole('textbox', { name: /^Email/ }).fill(email);
    await form.getByRole('textbox', { name: /^Company/ }).fill('Example Trading Ltd');
    await form.getByRole('textbox', { name: /^Message/ }).fill('A quote for ten laptops, please.');
    await browser.shot('quote-form-filled');
    await Promise.all([browser.page.waitForURL(/\/enquiries\/thank-you$/), form.getByRole('button').click()]);

    await browser.shot('quote-thank-you');
    expect(await topicsOf(email)).toEqual([
      expect.objectContaining({ topic: 'offers', status: 'soft_opt_in' }),
    ]);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('does not let a visitor submit the consent form without the required fields', async () => {
    await browser.page.goto(`${baseUrl}/`);
    const form = browser.page.getByRole('form', { name: 'Form “contact”' });

    await form.getByRole('button').click();

    // The browser's own validation keeps the visitor on the browser.page.
    expect(new URL(browser.page.url()).pathname).toBe('/');
    expect(
      await form
        .getByRole('textbox', { name: /^Email/ })
        .evaluate((input) => (input as { validity: { valid: boolean } }).validity.valid),
    ).toBe(false);
  });
});
