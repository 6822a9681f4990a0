/**
 * The retention review against the running local server: who lapses within N days and why, page by page
 * across topics behind signed cursors, for the privacy group only, and audited.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';

const baseUrl = inject('baseUrl');
const ROOT = resolve(import.meta.dirname, '../..');

function token(groups: string): string {
  return execFileSync(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/token.ts', '--groups', groups], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
}

interface Row {
  email: string;
  topic: string;
  basis: string;
  lastInteraction: string;
  expiresAt: string;
  why: string;
}

/** Every row of the review, following `next` to the end, a page of `limit` at a time. */
async function review(
  bearer: string,
  withinDays: number,
  limit: number,
): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ withinDays: String(withinDays), limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    const response = await fetch(`${baseUrl}/review?${query}`, {
      headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: Row[]; next: string | null };
    rows.push(...body.items);
    cursor = body.next;
    pages += 1;
  } while (cursor);
  return { rows, pages };
}

describe('the retention review in local mode', () => {
  it('lists who lapses within the window, with the basis and the last interaction, across pages', async () => {
    const email = uniqueEmail('review');
    const posted = await fetch(`${baseUrl}/enquiries`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ form: 'quote', name: 'Rev Iew', email, message: `Review quote for ${email}` }),
    });
    expect(posted.status).toBe(201);
    const privacy = token('privacy');

    // A soft opt-in lapses 18 months after the sale: not within 30 days, within 600.
    expect((await review(privacy, 30, 100)).rows.filter((row) => row.email === email)).toEqual([]);
    const all = await review(privacy, 600, 1);
    expect(all.pages).toBeGreaterThan(1);
    const mine = all.rows.filter((row) => row.email === email);
    expect(mine).toEqual([
      expect.objectContaining({
        topic: 'offers',
        basis: 'soft_opt_in',
        why: 'soft opt-in (PECR reg 22), kept 18 months after the last interaction',
      }),
    ]);
    const [row] = mine;
    const months =
      (new Date(row?.expiresAt ?? 0).getTime() - new Date(row?.lastInteraction ?? 0).getTime()) / 86_400_000;
    expect(months).toBeGreaterThan(540);
    expect(months).toBeLessThan(553);
  });

  it('is for the privacy group only, refuses a bad window, and is audited', async () => {
    const marketing = await fetch(`${baseUrl}/review?withinDays=30`, {
      headers: { Authorization: `Bearer ${token('marketing')}` },
    });
    expect(marketing.status).toBe(403);
    const privacy = token('privacy');
    const bad = await fetch(`${baseUrl}/review?withinDays=0`, {
      headers: { Authorization: `Bearer ${privacy}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_request', fields: { withinDays: 'invalid' } });
    const audit = await fetch(`${baseUrl}/audit?limit=50`, {
      headers: { Authorization: `Bearer ${privacy}` },
    });
    const entries = ((await audit.json()) as { items: { route: string }[] }).items;
    expect(entries.some((entry) => entry.route === '/review')).toBe(true);
  });
});
