/**
 * Importing existing clients: a 10,000-row CSV through `npm run import` (dry run, then for real) against
 * the real `npm start` runner, and as the baseline in the same run the seed's raw bulk write of the same
 * number of people (no CSV, no checks, no per-row rules). Rows per second for each.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runImport } from '../local/import-cli.ts';
import { stopServer, waitForServer } from './local-server.ts';

const PORT = 3192;
const DYNAMODB_PORT = 8192;
const ROOT = resolve(import.meta.dirname, '..');

export interface ImportThroughputResult {
  readonly rows: number;
  readonly dryRunRowsPerSecond: number;
  readonly importRowsPerSecond: number;
  /** The seed's raw bulk write of as many people, in the same run. */
  readonly seedPeoplePerSecond: number;
}

export async function measureImportThroughput(rows: number): Promise<ImportThroughputResult> {
  // Without MailChimp: the point is the import, not syncing the imported people.
  const dir = mkdtempSync(join(tmpdir(), 'consent-desk-bench-import-'));
  const configPath = join(dir, 'config.json');
  const { mailchimp: _mailchimp, ...config } = JSON.parse(
    readFileSync(resolve(ROOT, 'consent-desk.config.json'), 'utf8'),
  ) as Record<string, unknown>;
  writeFileSync(configPath, JSON.stringify(config));
  const file = join(dir, 'clients.csv');
  const sale = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  writeFileSync(
    file,
    [
      'email,name,basis,topics,evidence_date,refusal_offered,method,statement',
      ...Array.from(
        { length: rows },
        (_, i) => `client.${i}@example.org,Client ${i},soft_opt_in,offers,${sale},yes,sale,`,
      ),
    ].join('\n'),
  );
  const server = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      DYNAMODB_PORT: String(DYNAMODB_PORT),
      MAILCHIMP_API_KEY: '',
      CONSENT_DESK_CONFIG: configPath,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const previousPort = process.env.PORT;
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await waitForServer(base, server);
    process.env.PORT = String(PORT);
    const timed = async (dryRun: boolean) => {
      const started = performance.now();
      const lines: string[] = [];
      const code = await runImport({ file, dryRun, url: undefined, token: undefined }, (line) =>
        lines.push(line),
      );
      if (code !== 0) throw new Error(`npm run import failed: ${lines.join('\n')}`);
      return (performance.now() - started) / 1000;
    };
    const drySeconds = await timed(true);
    const importSeconds = await timed(false);
    const seedSeconds = await seed(base, rows);
    return {
      rows,
      dryRunRowsPerSecond: Math.round(rows / drySeconds),
      importRowsPerSecond: Math.round(rows / importSeconds),
      seedPeoplePerSecond: Math.round(rows / seedSeconds),
    };
  } finally {
    if (previousPort === undefined) delete process.env.PORT;
    else process.env.PORT = previousPort;
    await stopServer(server);
  }
}

async function seed(base: string, contacts: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/__local/seed`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ contacts, seed: 7 }),
  });
  if (response.status >= 300) throw new Error(`POST /__local/seed answered ${response.status}`);
  for (;;) {
    await new Promise((done) => setTimeout(done, 250));
    const progress = (await (await fetch(`${base}/__local/seed`)).json()) as { state?: string };
    if (progress.state === 'done') return (performance.now() - started) / 1000;
    if (progress.state === 'failed') throw new Error('Seeding failed; see the server output');
  }
}

if (process.argv.includes('--only')) {
  console.log(await measureImportThroughput(Number(process.env.BENCH_IMPORT_ROWS ?? 10_000)));
}
