/**
 * A large marketing-list export through the staff API: the real `npm start` runner seeded with synthetic
 * people (`POST /__local/seed`), then `GET /contacts` as CSV, page by page, as a client would follow
 * `next`. Measures the export's time and the server's peak memory while it runs, and the read capacity
 * the list queries consume per 1,000 contacts (`ReturnConsumedCapacity` on DynamoDB Local).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS, LOCAL_TABLE_NAME } from '../local/dynamodb.ts';
import { loadOrCreateSigningKey, signStaffToken } from '../local/staff-auth.ts';
import { createStaffReads } from '../shared/adapters/dynamodb/staff-reads.ts';
import type { ListPosition } from '../shared/ports/staff-reads.ts';
import { stopServer, waitForServer } from './local-server.ts';

export interface ExportResult {
  readonly contactsSeeded: number;
  readonly seedSeconds: number;
  /** Every topic's list, one after the other, as a campaign export per topic would. */
  readonly topics: readonly string[];
  readonly rowsExported: number;
  readonly pages: number;
  readonly pageSize: number;
  readonly csvMegabytes: number;
  readonly exportSeconds: number;
  readonly rowsPerSecond: number;
  /**
   * The local server's resident memory (its Node processes, not DynamoDB Local's JVM): once started and
   * idle, at its peak while the seed runs (and the stream carries it to the consumers), just before the
   * export, and at its peak during the export.
   */
  readonly serverRssIdleMb: number;
  readonly serverRssSeedPeakMb: number;
  readonly serverRssBeforeMb: number;
  readonly serverRssPeakMb: number;
  readonly readUnitsPer1000Contacts: number;
}

const PORT = 3191;
const DYNAMODB_PORT = 8191;
const ROOT = resolve(import.meta.dirname, '..');
const PAGE_SIZE = 5000;

export async function measureStaffExport(contacts: number): Promise<ExportResult> {
  // The example config without MailChimp: the point is the export, not syncing the seeded people.
  const dir = mkdtempSync(join(tmpdir(), 'consent-desk-bench-'));
  const configPath = join(dir, 'config.json');
  const { mailchimp: _mailchimp, ...config } = JSON.parse(
    readFileSync(resolve(ROOT, 'consent-desk.config.json'), 'utf8'),
  ) as Record<string, unknown> & { topics: { id: string }[] };
  const topics = config.topics.map((topic) => topic.id);
  writeFileSync(configPath, JSON.stringify(config));
  const server = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      DYNAMODB_PORT: String(DYNAMODB_PORT),
      // Never the real audience, whatever the developer's shell has set.
      MAILCHIMP_API_KEY: '',
      CONSENT_DESK_CONFIG: configPath,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await waitForServer(base, server);

    const serverRssIdleMb = treeRssMb(server.pid ?? 0);
    let serverRssSeedPeakMb = serverRssIdleMb;
    const seedSampler = setInterval(() => {
      serverRssSeedPeakMb = Math.max(serverRssSeedPeakMb, treeRssMb(server.pid ?? 0));
    }, 250);
    const seedStarted = performance.now();
    try {
      await seed(base, contacts);
    } finally {
      clearInterval(seedSampler);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const token = await signStaffToken(loadOrCreateSigningKey(), {
      username: 'bench',
      groups: ['marketing'],
      minutes: 60,
      now: new Date(),
    });
    const serverRssBeforeMb = treeRssMb(server.pid ?? 0);
    let serverRssPeakMb = serverRssBeforeMb;
    const sampler = setInterval(() => {
      serverRssPeakMb = Math.max(serverRssPeakMb, treeRssMb(server.pid ?? 0));
    }, 20);

    let rowsExported = 0;
    let bytes = 0;
    let pages = 0;
    const started = performance.now();
    try {
      for (const topic of topics) {
        let url: string | undefined = `${base}/contacts?topic=${topic}&limit=${PAGE_SIZE}`;
        while (url) {
          const response: Response = await fetch(url, {
            headers: { Authorization: `Bearer ${token}`, Accept: 'text/csv' },
          });
          const text = await response.text();
          if (response.status !== 200) throw new Error(`GET /contacts answered ${response.status}`);
          pages++;
          bytes += Buffer.byteLength(text);
          // Each page starts with the header row.
          rowsExported += text.split('\r\n').length - 2;
          const cursor = response.headers.get('x-next-cursor');
          url = cursor
            ? `${base}/contacts?topic=${topic}&limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}`
            : undefined;
        }
      }
    } finally {
      clearInterval(sampler);
    }
    const exportSeconds = (performance.now() - started) / 1000;

    return {
      contactsSeeded: contacts,
      seedSeconds: round(seedSeconds),
      topics,
      rowsExported,
      pages,
      pageSize: PAGE_SIZE,
      csvMegabytes: round(bytes / 1_048_576),
      exportSeconds: round(exportSeconds),
      rowsPerSecond: Math.round(rowsExported / exportSeconds),
      serverRssIdleMb: round(serverRssIdleMb),
      serverRssSeedPeakMb: round(serverRssSeedPeakMb),
      serverRssBeforeMb: round(serverRssBeforeMb),
      serverRssPeakMb: round(serverRssPeakMb),
      readUnitsPer1000Contacts: await readUnitsPer1000(topics),
    };
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pages the whole list through the staff reads adapter, summing the capacity DynamoDB reports. */
async function readUnitsPer1000(topics: readonly string[]): Promise<number> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: `http://127.0.0.1:${DYNAMODB_PORT}`, ...LOCAL_AWS }),
  );
  try {
    const reads = createStaffReads(db, LOCAL_TABLE_NAME);
    let units = 0;
    let listed = 0;
    for (const topic of topics) {
      let after: ListPosition | undefined;
      do {
        const page = await reads.listMailable({ topic, basis: 'any', limit: 1000, after, now: new Date() });
        units += page.readUnits;
        listed += page.items.length;
        after = page.next;
      } while (after);
    }
    return listed === 0 ? 0 : round((units / listed) * 1000);
  } finally {
    db.destroy();
  }
}

async function seed(base: string, contacts: number): Promise<void> {
  const started = await fetch(`${base}/__local/seed`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ contacts, seed: 42 }),
  });
  if (started.status >= 300) throw new Error(`POST /__local/seed answered ${started.status}`);
  for (;;) {
    await new Promise((done) => setTimeout(done, 1000));
    const progress = (await (await fetch(`${base}/__local/seed`)).json()) as { state?: string };
    if (progress.state === 'done') return;
    if (progress.state === 'failed') throw new Error('Seeding failed; see the server output');
  }
}

/** Resident memory of a process and its descendants, in MB, skipping DynamoDB Local's JVM. */
function treeRssMb(rootPid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  let kb = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    pending.push(...(children.get(pid) ?? []));
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^Name:\s+java/m.test(status)) continue;
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return kb / 1024;
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
