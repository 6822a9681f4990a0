/**
 * Runs the real `npm start` entry as a child process for the e2e and browser tests, each project on its
 * own ports, and stops it with SIGINT as a developer would, checking that DynamoDB Local went with it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { LOCAL_TABLE_NAME } from '../../local/dynamodb.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    dynamoDbEndpoint: string;
    tableName: string;
  }
}

/**
 * Away from the defaults (3000/8000) and from the integration tests' DynamoDB (8101). TEST_PORT_OFFSET
 * moves every test port, so two checkouts can run their tests side by side.
 */
const OFFSET = Number(process.env.TEST_PORT_OFFSET ?? 0);
const PORTS: Record<string, { api: number; dynamoDb: number }> = {
  e2e: { api: 3101 + OFFSET, dynamoDb: 8201 + OFFSET },
  browser: { api: 3102 + OFFSET, dynamoDb: 8202 + OFFSET },
};

const ROOT = resolve(import.meta.dirname, '../..');
const START_TIMEOUT_MS = 60_000;
// Generous: on a busy machine the runner's orderly shutdown (streams, sweeper, DynamoDB Local) takes a while.
const STOP_TIMEOUT_MS = 45_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ports = PORTS[project.name];
  if (!ports) throw new Error(`No ports assigned for the ${project.name} project`);
  const baseUrl = `http://127.0.0.1:${ports.api}`;

  mkdirSync(resolve(ROOT, 'test-results'), { recursive: true });
  const logPath = resolve(ROOT, 'test-results', `${project.name}-server.log`);
  const log = createWriteStream(logPath);
  const child = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      // The project's Node (from the `node` dev dependency) rather than whatever the system has.
      PATH: `${resolve(ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
      PORT: String(ports.api),
      DYNAMODB_PORT: String(ports.dynamoDb),
      // Blank, whatever the developer's shell holds: tests run against the emulator, never real MailChimp.
      MAILCHIMP_API_KEY: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });

  try {
    await waitUntilServing(baseUrl, exited, logPath);
  } catch (error) {
    await stop(child, exited, ports.dynamoDb);
    throw error;
  }

  project.provide('baseUrl', baseUrl);
  project.provide('dynamoDbEndpoint', `http://127.0.0.1:${ports.dynamoDb}`);
  project.provide('tableName', LOCAL_TABLE_NAME);

  return async () => {
    const code = await stop(child, exited, ports.dynamoDb);
    log.end();
    if (code !== 0) throw new Error(`npm start exited with code ${code} on SIGINT; see ${logPath}`);
  };
}

export async function waitUntilServing(baseUrl: string, exited: Promise<number | null>, logPath: string) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`npm start exited with code ${exitCode}; see ${logPath}`);
    try {
      // 503 while DynamoDB Local and the handlers are still starting.
      if ((await fetch(`${baseUrl}/`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`npm start did not answer within ${START_TIMEOUT_MS / 1000} s; see ${logPath}`);
}

/** SIGINT, as Ctrl-C sends; then makes sure no DynamoDB Local on our port outlives the server. */
export async function stop(child: ChildProcess, exited: Promise<number | null>, dynamoDbPort: number) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  const leftOver = javaProcessesOnPort(dynamoDbPort);
  if (leftOver.length > 0) {
    for (const pid of leftOver) process.kill(pid, 'SIGKILL');
    throw new Error(`DynamoDB Local (pid ${leftOver.join(', ')}) was still running after npm start exited`);
  }
  return code;
}

function javaProcessesOnPort(port: number): number[] {
  try {
    const out = execFileSync('pgrep', ['-f', `DynamoDBLocal\\.jar .*-port ${port}( |$)`], {
      encoding: 'utf8',
    });
    return out.split('\n').filter(Boolean).map(Number);
  } catch {
    // pgrep exits 1 when nothing matches.
    return [];
  }
}
