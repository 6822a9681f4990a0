/**
 * Driving the staff console in Chromium for the browser tests: the local sign-in, axe-core on the page, the
 * layout check at a phone and a desktop width (with the README's screenshots written only when
 * `SCREENSHOTS=1`), keyboard moves, and an enquiry that creates a person with express consent.
 */
import { resolve } from 'node:path';
import axe from 'axe-core';
import { expect } from 'vitest';
import type { BrowserSession } from './browser.ts';
import { uniqueEmail } from './intake.ts';

const IMAGES = resolve(import.meta.dirname, '../../docs/images');
/** The README's screenshots are rewritten only on purpose, so a test run leaves the work tree clean. */
const WRITE_SCREENSHOTS = process.env.SCREENSHOTS === '1';

/** The statement the demo contact form shows next to its consent box. */
export const STATEMENT = "Tick to receive Example Ltd's monthly newsletter by email.";

/** Polls for up to 15 s: pages wait on the local API and DynamoDB Local, slow on a busy machine. */
export const eventually = <T>(read: () => T | Promise<T>) =>
  expect.poll(read, { timeout: 15_000, interval: 100 });

export function consoleDriver(browser: BrowserSession, baseUrl: string) {
  const consoleUrl = `${baseUrl}/console/`;
  return {
    consoleUrl,

    async signIn(username: string, groups: string[]): Promise<void> {
      const { page } = browser;
      await page.goto(consoleUrl);
      await eventually(() => page.locator('h1').textContent()).toBe('Sign in (local)');
      await page.getByLabel('User name').fill(username);
      for (const group of groups) await page.getByRole('checkbox', { name: new RegExp(`^${group}`) }).check();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await eventually(() => page.locator('.header__user').textContent()).toContain(username);
    },

    /** axe-core in the page (evaluated, as the CSP allows no injected script tags): serious and critical fail. */
    async expectAccessible(): Promise<void> {
      const { page } = browser;
      await page.evaluate(axe.source);
      const result = (await page.evaluate('axe.run(document)')) as axe.AxeResults;
      const violations = result.violations
        .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
        .map(
          (violation) =>
            `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
        );
      expect(violations).toEqual([]);
    },

    /**
     * The page at a desktop and at a phone width: nothing may overflow sideways. With `SCREENSHOTS=1` each
     * is saved as docs/images/console-<name>-<width>.png for the README, scrolled to `at` (a selector) if given.
     */
    async screenshots(name: string, at?: string): Promise<void> {
      const { page } = browser;
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 900 });
        if (at)
          await page
            .locator(at)
            .first()
            .evaluate((element) => element.scrollIntoView());
        const overflow = (await page.evaluate(
          'document.documentElement.scrollWidth - window.innerWidth',
        )) as number;
        expect(overflow, `${name} at ${width} px`).toBeLessThanOrEqual(0);
        if (WRITE_SCREENSHOTS)
          await page.screenshot({ path: resolve(IMAGES, `console-${name}-${width}.png`) });
      }
      await page.setViewportSize({ width: 390, height: 844 });
    },

    /** Presses Tab until the element with this id has the focus (at most 30 times). */
    async tabTo(id: string): Promise<void> {
      for (let presses = 0; presses < 30; presses += 1) {
        if ((await browser.page.evaluate('document.activeElement.id')) === id) return;
        await browser.page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached #${id}`);
    },

    navigation: () =>
      browser.page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents(),

    /** An enquiry with express consent to the newsletter, as the demo page's contact form sends it. */
    async sendConsentEnquiry(name: string, email = uniqueEmail('console')): Promise<string> {
      const body = new URLSearchParams({
        form: 'contact',
        name,
        email,
        message: 'Please send me the newsletter.',
        marketing_consent: 'yes',
      });
      const response = await fetch(`${baseUrl}/enquiries`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
      });
      expect(response.status).toBeLessThan(400);
      return email;
    },
  };
}
