/**
 * Local throughput: the real `npm start` runner (DynamoDB Local, API Gateway-style events, the same
 * handlers) under a bounded burst of enquiries from this process, on loopback only.
 */
import { spawn } from 'node:child_process';
import { stopServer, waitForServer } from './local-server.ts';
import { percentile } from './stats.ts';

export interface ThroughputResult {
  readonly requests: number;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const PORT = 3190;
const DYNAMODB_PORT = 8190;

export async function measureLocalThroughput(
  requests: number,
  concurrency: number,
): Promise<ThroughputResult> {
  const server = spawn('./node_modules/.bin/tsx', ['local/start.ts'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      DYNAMODB_PORT: String(DYNAMODB_PORT),
      // Never the real audience, whatever the developer's shell has set.
      MAILCHIMP_API_KEY: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await waitForServer(base, server);
    const latencies: number[] = [];
    let next = 0;
    const post = async (n: number) => {
      const started = performance.now();
      const response = await fetch(`${base}/enquiries`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          form: 'contact',
          name: `Load ${n}`,
          email: `load-${n}@example.com`,
          message: 'Hello',
          marketing_consent: 'yes',
        }),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`Unexpected status ${response.status}`);
      latencies.push(performance.now() - started);
    };
    for (let i = 0; i < 50; i++) await post(-i - 1); // warm-up
    latencies.length = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) await post(next++);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      requests,
      concurrency,
      requestsPerSecond: Math.round(requests / seconds),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
    };
  } finally {
    await stopServer(server);
  }
}
