/**
 * Debian's Chromium, driven by playwright-core, for the browser tests: one persistent context per file,
 * a fresh page per test, a phone-sized viewport, and screenshots kept in test-results/browser/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';

const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/browser');

export interface BrowserSession {
  readonly page: Page;
  /** Console errors of the current test's page; a CSP violation shows up here. */
  readonly consoleErrors: readonly string[];
  shot(name: string): Promise<void>;
}

/** Registers the hooks that start Chromium for this file and give each test a new page. */
export function useChromium(): BrowserSession {
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let userDataDir: string | undefined;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'consent-desk-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      // Without the background-networking flags Chromium keeps trying to reach Google's hosts.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      // A phone-sized viewport: people open these pages from their mail app or phone.
      viewport: { width: 390, height: 844 },
      locale: 'en-GB',
    });
  });

  beforeEach(async () => {
    await page?.close();
    consoleErrors = [];
    const next = await context?.newPage();
    if (!next) throw new Error('Chromium did not start');
    next.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page = next;
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  return {
    get page() {
      if (!page) throw new Error('No page yet: use it inside a test');
      return page;
    },
    get consoleErrors() {
      return consoleErrors;
    },
    async shot(name) {
      await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
}
