import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, logContext } from '../../shared/log.ts';

const contextFor = (awsRequestId: string) =>
  ({ awsRequestId, functionName: 'consent-desk-enquiry' }) as unknown as Context;
const lines = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('logContext', () => {
  const handler = middy<{ pause: number }, void>()
    .use(logContext())
    .handler(async ({ pause }) => {
      log.info('started', { count: 1 });
      await new Promise((resolve) => setTimeout(resolve, pause));
      log.info('finished');
    });

  it('puts the request id, function name and cold start on every line, each invocation its own', async () => {
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {});

    await handler({ pause: 1 }, contextFor('first'));
    await Promise.all([
      handler({ pause: 20 }, contextFor('second')),
      handler({ pause: 1 }, contextFor('third')),
    ]);

    const common = { level: 'info', functionName: 'consent-desk-enquiry', time: expect.any(String) };
    expect(lines(logged)).toEqual([
      { ...common, event: 'started', count: 1, awsRequestId: 'first', coldStart: true },
      { ...common, event: 'finished', awsRequestId: 'first', coldStart: true },
      { ...common, event: 'started', count: 1, awsRequestId: 'second', coldStart: false },
      { ...common, event: 'started', count: 1, awsRequestId: 'third', coldStart: false },
      { ...common, event: 'finished', awsRequestId: 'third', coldStart: false },
      { ...common, event: 'finished', awsRequestId: 'second', coldStart: false },
    ]);
  });

  it('logs outside an invocation without context', () => {
    const logged = vi.spyOn(console, 'warn').mockImplementation(() => {});
    log.warn('idle', { reason: 'none' });
    expect(lines(logged)).toEqual([
      { level: 'warn', event: 'idle', time: expect.any(String), reason: 'none' },
    ]);
  });
});
