/**
 * A cold start as Lambda sees it, minus the network: a fresh Node 24 process imports the bundle (module
 * load) and serves one request (first call), with every AWS endpoint pointed at a stub in that process.
 * Lazy imports (clients loaded on first use) show up in the first call, not hidden.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BENCH_KEY_RING, BENCH_WEBHOOK_SECRET } from './bench-event.ts';

export interface ColdStartCandidate {
  readonly name: string;
  readonly file: string;
  readonly env: Record<string, string>;
  /** The event for the first call. */
  readonly event: unknown;
}

export interface ColdStartSample {
  readonly moduleLoadMs: number;
  readonly firstCallMs: number;
}

const NODE = new URL('../node_modules/.bin/node', import.meta.url).pathname;

// Runs inside the fresh process: an AWS stub on an ephemeral loopback port, then the import and one call.
const PROBE = `
import { createServer } from 'node:http';
const stub = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    const target = String(request.headers['x-amz-target'] ?? '');
    let answer = {};
    if (target.endsWith('.Query')) answer = { Items: [], Count: 0 };
    else if (target.endsWith('.GetSecretValue')) answer = { SecretString: body.includes('token-signing') ? process.env.BENCH_KEY_RING : body.includes('mailchimp-webhook') ? process.env.BENCH_WEBHOOK_SECRET : 'stub-email-hash-key-0123456789abcdef0123' };
    else if (request.url?.startsWith('/v2/email/outbound-emails')) answer = { MessageId: 'stub' };
    else if (request.url?.startsWith('/3.0/')) {
      // MailChimp: an empty audience that accepts every write.
      const path = request.url.split('?')[0];
      if (request.method === 'GET' && path.endsWith('/members')) answer = { members: [], total_items: 0 };
      else if (request.method === 'GET') {
        response.writeHead(404, { 'Content-Type': 'application/problem+json' });
        response.end(JSON.stringify({ title: 'Resource Not Found', status: 404 }));
        return;
      } else answer = { id: 'stub', email_address: 'bench@example.com', status: 'subscribed', last_changed: '2026-11-22T10:00:00+00:00' };
    }
    const mailchimp = request.url?.startsWith('/3.0/');
    response.writeHead(200, { 'Content-Type': mailchimp ? 'application/json' : 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(answer));
  });
});
await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve));
const endpoint = 'http://127.0.0.1:' + stub.address().port;
for (const service of ['DYNAMODB', 'SECRETS_MANAGER', 'SESV2']) process.env['AWS_ENDPOINT_URL_' + service] = endpoint;
// MailChimp too, for the functions that call it.
process.env.MAILCHIMP_BASE_PATH = endpoint + '/3.0';
const [file, eventJson] = process.argv.slice(1);
const loadStarted = performance.now();
const module = await import(file);
const moduleLoadMs = performance.now() - loadStarted;
const callStarted = performance.now();
// Five minutes, the longest function timeout: less would make the reconciliation stop before its first page.
const response = await module.handler(JSON.parse(eventJson), { awsRequestId: 'bench', getRemainingTimeInMillis: () => 300000 });
const firstCallMs = performance.now() - callStarted;
if (!response || response.statusCode >= 300 && response.statusCode !== 303) throw new Error('status ' + response?.statusCode + ' ' + response?.body);
stub.close();
process.stdout.write('\\n' + JSON.stringify({ moduleLoadMs, firstCallMs }));
`;

/** Samples of every candidate, interleaved so machine noise spreads evenly across them. */
export function measureColdStarts(
  candidates: readonly ColdStartCandidate[],
  samples: number,
): Map<string, ColdStartSample[]> {
  const results = new Map(candidates.map((candidate) => [candidate.name, [] as ColdStartSample[]]));
  for (let round = 0; round < samples; round++) {
    for (const candidate of candidates) {
      const output = execFileSync(
        NODE,
        [
          '--input-type=module',
          '-e',
          PROBE,
          pathToFileURL(candidate.file).href,
          JSON.stringify(candidate.event),
        ],
        {
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'eu-west-2',
            AWS_ACCESS_KEY_ID: 'bench',
            AWS_SECRET_ACCESS_KEY: 'bench',
            BENCH_KEY_RING,
            BENCH_WEBHOOK_SECRET,
            ...candidate.env,
          },
          encoding: 'utf8',
        },
      );
      // The handler's own log lines come first; the probe's figures are the last line.
      const figures = output.trim().split('\n').at(-1) ?? '';
      results.get(candidate.name)?.push(JSON.parse(figures) as ColdStartSample);
    }
  }
  return results;
}
