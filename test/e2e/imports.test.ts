/**
 * `POST /imports` against the running local server, black-box: tokens from `npm run token`, the report,
 * and what the marketing list and the MailChimp emulator show afterwards. The 10,000-row run of
 * `npm run import` is in the benchmark (`bench/import-throughput.ts`), on a server of its own.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { uniqueEmail } from '../support/intake.ts';

const baseUrl = inject('baseUrl');
const ROOT = resolve(import.meta.dirname, '../..');
const HEADER = 'email,name,basis,topics,evidence_date,refusal_offered,method,statement';
const tsx = resolve(ROOT, 'node_modules/.bin/tsx');

function token(groups: string): string {
  return execFileSync(tsx, ['local/token.ts', '--groups', groups], { cwd: ROOT, encoding: 'utf8' }).trim();
}

const postImport = (csv: string, bearer: string | undefined, query = '', type = 'text/csv') =>
  fetch(`${baseUrl}/imports${query}`, {
    method: 'POST',
    headers: { 'Content-Type': type, ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: csv,
  });

const recent = () => new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

describe('POST /imports', () => {
  it('admits marketing and privacy only', async () => {
    const csv = `${HEADER}\n${uniqueEmail('auth')},,soft_opt_in,offers,${recent()},yes,,`;
    // Tokens first: minting one takes seconds, and the requests should not wait on an idle connection.
    const [sales, privacy] = [token('sales'), token('privacy')];
    expect((await postImport(csv, undefined, '?dryRun=true')).status).toBe(401);
    expect((await postImport(csv, sales, '?dryRun=true')).status).toBe(403);
    expect((await postImport(csv, privacy, '?dryRun=true')).status).toBe(200);
  });

  it('takes text/csv only, and a dryRun of true or false', async () => {
    const bearer = token('marketing');
    expect((await postImport('{}', bearer, '', 'application/json')).status).toBe(415);
    const bad = await postImport(`${HEADER}\n`, bearer, '?dryRun=maybe');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_request', fields: { dryRun: 'invalid' } });
  });

  it('dry-runs, then imports into the marketing list and MailChimp, reporting rows without addresses', async () => {
    const bearer = token('marketing');
    const client = uniqueEmail('imported-client');
    const csv = [
      HEADER,
      `${client},Imported Client,soft_opt_in,offers,${recent()},yes,sale,`,
      `${uniqueEmail('no-evidence')},,consent,newsletter,${recent()},,,`,
    ].join('\n');
    const dry = await postImport(csv, bearer, '?dryRun=true');
    const dryText = await dry.text();
    expect(dry.status).toBe(200);
    expect(dryText).not.toContain('@');
    expect(JSON.parse(dryText)).toMatchObject({
      dryRun: true,
      imported: 1,
      results: [
        { row: 2, outcome: 'would_import' },
        { row: 3, outcome: 'refused', reason: 'no_method' },
      ],
    });

    const real = await postImport(csv, bearer);
    expect(await real.json()).toMatchObject({ dryRun: false, imported: 1, refused: 1 });
    const list = await fetch(`${baseUrl}/contacts?topic=offers&basis=soft_opt_in&limit=1000`, {
      headers: { Authorization: `Bearer ${bearer}` },
    });
    const { items } = (await list.json()) as { items: { email: string; source: string }[] };
    expect(items.filter((item) => item.email === client)).toEqual([
      expect.objectContaining({ source: 'import' }),
    ]);
    await expect
      .poll(
        async () => {
          const members = (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
            email_address: string;
            status: string;
          }[];
          return members.find((member) => member.email_address === client)?.status;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe('subscribed');
  });
});
