/**
 * The staff console's build: what a first load fetches stays within its size budget, and the build holds
 * nothing that would need another origin (the CSP allows only 'self').
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, CONSOLE_FILES } from '../../console/build.ts';

/** JavaScript of the first load, gzip-compressed. */
const FIRST_LOAD_JS_BUDGET_BYTES = 100 * 1024;

describe('the staff console build', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'consent-desk-console-'));
  beforeAll(() => buildConsole(outDir), 60_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('keeps the first load JavaScript under 100 KB gzip', () => {
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(scripts).toEqual(['app.js']);
    const gzipped = scripts.reduce(
      (total, file) => total + gzipSync(readFileSync(join(outDir, file))).length,
      0,
    );
    expect(gzipped).toBeLessThan(FIRST_LOAD_JS_BUDGET_BYTES);
  });

  it('writes its files, with no inline script or style and nothing from another origin', () => {
    for (const file of CONSOLE_FILES) expect(readFileSync(join(outDir, file)).length).toBeGreaterThan(0);
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const css = readFileSync(join(outDir, 'styles.css'), 'utf8');
    expect(css).not.toMatch(/url\(|@import/);
  });
});
