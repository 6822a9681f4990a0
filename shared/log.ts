/**
 * Structured JSON logs, each line carrying the invocation it belongs to (Lambda request id, function
 * name, cold start) once a handler uses `logContext()`. Callers pass only what is safe to keep: ids,
 * counts, codes, durations. Never names, addresses, message text or request bodies: the log is not a
 * place for personal data, and the details type admits no objects that could carry them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { sourceMappedStack } from './stack-trace.ts';

type Safe = string | number | boolean | undefined;

interface InvocationContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly coldStart: boolean;
}

// Per invocation rather than per module: local mode serves concurrent requests in one process.
const invocation = new AsyncLocalStorage<InvocationContext>();
// Provisioned concurrency initialises ahead of traffic, so its first invocation is not a cold start.
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

function write(level: 'info' | 'warn' | 'error', event: string, details: Record<string, Safe>): void {
  const line = JSON.stringify({
    level,
    event,
    time: new Date().toISOString(),
    ...invocation.getStore(),
    ...details,
  });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  info: (event: string, details: Record<string, Safe> = {}) => write('info', event, details),
  warn: (event: string, details: Record<string, Safe> = {}) => write('warn', event, details),
  error: (event: string, details: Record<string, Safe> = {}) => write('error', event, details),
};

/** The CloudWatch namespace of our embedded-format metrics (dashboard and alarms read it). */
export const METRICS_NAMESPACE = 'ConsentDesk';

/**
 * Counts in CloudWatch's embedded metric format: one log line that CloudWatch turns into metrics, with no
 * API call and no client to load. Dimensions are fixed labels (a reason, a basis), never personal data.
 */
export function countMetric(
  name: string,
  value = 1,
  dimensions: Readonly<Record<string, string>> = {},
): void {
  recordMetric(name, value, 'Count', dimensions);
}

/** A duration in milliseconds, in the same format (e.g. how long a change took to reach MailChimp). */
export function timeMetric(
  name: string,
  milliseconds: number,
  dimensions: Readonly<Record<string, string>> = {},
): void {
  recordMetric(name, Math.max(0, Math.round(milliseconds)), 'Milliseconds', dimensions);
}

function recordMetric(
  name: string,
  value: number,
  unit: 'Count' | 'Milliseconds',
  dimensions: Readonly<Record<string, string>>,
): void {
  const names = Object.keys(dimensions);
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [names], Metrics: [{ Name: name, Unit: unit }] },
        ],
      },
      ...dimensions,
      [name]: value,
    }),
  );
}

/** Middy middleware, first in the chain: every line logged while the invocation runs carries its context. */
export function logContext(): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: ({ context }) => {
      invocation.enterWith({
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        coldStart,
      });
      coldStart = false;
    },
  };
}

/** An error's class and stack are safe to log; its message might quote input, so it is left out. */
export function describeError(error: unknown): Record<string, Safe> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const frames = error.stack?.split('\n').slice(1, 6).join(' | ');
  return { errorName: error.name, stack: frames && sourceMappedStack(frames) };
}
