/**
 * Starts the real `npm start` runner with one of the example policy configs, on ports of its own
 * (moved by TEST_PORT_OFFSET), for a scenario file; stops it with SIGINT as a developer would.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { stop, waitUntilServing } from '../e2e/global-setup.ts';
import { type PolicyExampleFile, policyExamplePath } from './policy-examples.ts';

const OFFSET = Number(process.env.TEST_PORT_OFFSET ?? 0);
const ROOT = resolve(import.meta.dirname, '../..');
/** One pair of ports per example, away from the e2e (3101) and browser (3102) servers. */
const PORTS: Readonly<Record<PolicyExampleFile, number>> = {
  'a-newsletter.json': 0,
  'b-clients.json': 1,
  'c-explicit-consent.json': 2,
  'd-business-contacts.json': 3,
  'e-service-only.json': 4,
};

export interface PolicyServer {
  readonly baseUrl: string;
  readonly dynamoDbEndpoint: string;
  stop(): Promise<void>;
}

export async function startPolicyServer(file: PolicyExampleFile): Promise<PolicyServer> {
  const api = 3110 + PORTS[file] + OFFSET;
  const dynamoDb = 8210 + PORTS[file] + OFFSET;
  const baseUrl = `http://127.0.0.1:${api}`;
  mkdirSync(resolve(ROOT, 'test-results'), { recursive: true });
  const logPath = resolve(ROOT, 'test-results', `scenario-${file.replace('.json', '')}-server.log`);
  const log = createWriteStream(logPath);
  const child = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${resolve(ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
      PORT: String(api),
      DYNAMODB_PORT: String(dynamoDb),
      MAILCHIMP_API_KEY: '',
      CONSENT_DESK_CONFIG: policyExamplePath(file),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  try {
    await waitUntilServing(baseUrl, exited, logPath);
  } catch (error) {
    await stop(child, exited, dynamoDb);
    throw error;
  }
  return {
    baseUrl,
    dynamoDbEndpoint: `http://127.0.0.1:${dynamoDb}`,
    async stop() {
      const code = await stop(child, exited, dynamoDb);
      log.end();
      if (code !== 0) throw new Error(`npm start exited with code ${code} on SIGINT; see ${logPath}`);
    },
  };
}
