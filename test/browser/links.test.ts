/**
 * The pages behind the links in our emails, in headless Chromium: a person confirms a double opt-in,
 * unsubscribes, and changes topics in the preference centre by pressing the pages' own buttons (plain
 * form posts, no JavaScript). Screenshots go to test-results/browser/.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { useChromium } from '../support/browser.ts';
import { documentClient, scanAll, uniqueEmail } from '../support/intake.ts';
import { linkIn, onlyEmailTo } from '../support/local-server.ts';

const baseUrl = inject('baseUrl');
const tableName = inject('tableName');
const db = documentClient(inject('dynamoDbEndpoint'));

const browser = useChromium();
afterAll(() => db.destroy());

async function topicStatuses(email: string): Promise<Record<string, unknown>> {
  const topics = (await scanAll(db, tableName)).filter(
    (item) => item.type === 'topic' && item.email === email,
  );
  return Object.fromEntries(topics.map((item) => [item.topic, item.status]));
}

const heading = () => browser.page.locator('h1').textContent();
const shot = (name: string) => browser.shot(name);

/** Fills and sends one of the demo page's forms, as a visitor would. */
async function sendDemoForm(formId: 'contact' | 'quote', email: string) {
  await browser.page.goto(`${baseUrl}/`);
  const form = browser.page.getByRole('form', { name: `Form “${formId}”` });
  await form.getByRole('textbox', { name: /^Your name/ }).fill('Lin Example');
  await form.getByRole('textbox', { name: /^Email/ }).fill(email);
  if (formId === 'quote') await form.getByRole('textbox', { name: /^Company/ }).fill('Example Trading Ltd');
  await form.getByRole('textbox', { name: /^Message/ }).fill('Hello from the browser tests.');
  if (formId === 'contact') await form.getByRole('checkbox').check();
  await Promise.all([browser.page.waitForURL(/\/enquiries\/thank-you$/), form.getByRole('button').click()]);
}

describe('the email link pages in a browser', () => {
  it('confirm a double opt-in with the Confirm button, then unsubscribe with the page button', async () => {
    const email = uniqueEmail('browser-links');
    await sendDemoForm('contact', email);
    expect(await topicStatuses(email)).toEqual({ newsletter: 'pending' });
    const confirmation = await onlyEmailTo(baseUrl, email, /confirm/i);

    await browser.page.goto(linkIn(confirmation, 'confirm'));
    expect(await heading()).toBe('Confirm your subscription');
    await shot('links-confirm-page');
    // Opening the page alone confirms nothing.
    expect(await topicStatuses(email)).toEqual({ newsletter: 'pending' });
    await browser.page.getByRole('button', { name: /Confirm/ }).click();
    await expect.poll(heading).toBe('Subscription confirmed');
    await shot('links-confirmed');
    expect(await topicStatuses(email)).toEqual({ newsletter: 'consent' });

    const unsubscribeUrl = linkIn(confirmation, 'unsubscribe');
    await browser.page.goto(unsubscribeUrl);
    expect(await heading()).toBe('Unsubscribe');
    await shot('links-unsubscribe-page');
    expect(await topicStatuses(email)).toEqual({ newsletter: 'consent' });
    await browser.page.getByRole('button', { name: /Unsubscribe/ }).click();
    await expect.poll(heading).toBe('You are unsubscribed');
    await shot('links-unsubscribed');
    // Answered in place: no redirect away from the link.
    expect(browser.page.url()).toBe(unsubscribeUrl);
    expect(await browser.page.content()).not.toContain(email);
    expect(await topicStatuses(email)).toEqual({ newsletter: 'withdrawn' });
    expect(browser.consoleErrors).toEqual([]);
  });

  it('let a soft-opt-in contact change topics in the preference centre and show what was saved', async () => {
    const email = uniqueEmail('browser-preferences');
    await sendDemoForm('quote', email);
    expect(await topicStatuses(email)).toEqual({ offers: 'soft_opt_in' });
    const welcome = await onlyEmailTo(baseUrl, email, /welcome/i);

    await browser.page.goto(linkIn(welcome, 'preferences'));
    expect(await heading()).toBe('Your email choices');
    const newsletter = browser.page.getByRole('checkbox', { name: /Monthly newsletter/ });
    const offers = browser.page.getByRole('checkbox', { name: /Offers on services/ });
    expect(await newsletter.isChecked()).toBe(false);
    expect(await offers.isChecked()).toBe(true);
    await shot('links-preferences-page');
    expect(await topicStatuses(email)).toEqual({ offers: 'soft_opt_in' });

    await newsletter.check();
    await offers.uncheck();
    await browser.page.getByRole('button', { name: 'Save my choices' }).click();
    await expect.poll(heading).toBe('Your choices are saved');
    await shot('links-preferences-saved');
    expect(await browser.page.getByRole('checkbox', { name: /Monthly newsletter/ }).isChecked()).toBe(true);
    expect(await browser.page.getByRole('checkbox', { name: /Offers on services/ }).isChecked()).toBe(false);
    expect(await topicStatuses(email)).toEqual({ newsletter: 'consent', offers: 'withdrawn' });
    expect(browser.consoleErrors).toEqual([]);
  });
});
