/**
 * The shared helpers: a limiter and a concurrent map that never run more than asked, stop starting work
 * after a failure, and keep order; and a retry with full-jitter exponential back-off, on fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { limitConcurrency, mapConcurrently } from '../../shared/support/concurrency.ts';
import { backOff, retryWithBackOff } from '../../shared/support/retry.ts';

afterEach(() => vi.useRealTimers());

/** A task that resolves when told to, counting how many run at once. */
function gatedTasks() {
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const run = async <T>(value: T): Promise<T> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    return value;
  };
  const openAll = async () => {
    while (gates.length > 0) {
      for (const open of gates.splice(0)) open();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { run, openAll, peak: () => peak, waiting: () => gates.length };
}

describe('limitConcurrency', () => {
  it('runs at most `max` tasks at once, the rest in the order they came', async () => {
    const tasks = gatedTasks();
    const limit = limitConcurrency(2);
    const started: number[] = [];
    const results = Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        limit(() => {
          started.push(n);
          return tasks.run(n);
        }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(tasks.waiting()).toBe(2);
    await tasks.openAll();
    expect(await results).toEqual([1, 2, 3, 4, 5]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(tasks.peak()).toBe(2);
  });

  it('frees the slot of a task that fails', async () => {
    const limit = limitConcurrency(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit(() => Promise.resolve('next'))).toBe('next');
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => limitConcurrency(0)).toThrow(/concurrency/);
    expect(() => limitConcurrency(1.5)).toThrow(/concurrency/);
  });
});

describe('mapConcurrently', () => {
  it('answers results in the items order, with at most `concurrency` in flight', async () => {
    const tasks = gatedTasks();
    const mapped = mapConcurrently([3, 1, 2, 5, 4], 3, (n) => tasks.run(n * 10));
    await new Promise((resolve) => setImmediate(resolve));
    expect(tasks.waiting()).toBe(3);
    await tasks.openAll();
    expect(await mapped).toEqual([30, 10, 20, 50, 40]);
    expect(tasks.peak()).toBe(3);
  });

  it('starts no further item after a failure and rejects with it', async () => {
    const started: number[] = [];
    const mapped = mapConcurrently([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('second failed');
      return n;
    });
    await expect(mapped).rejects.toThrow('second failed');
    expect(started).toEqual([1, 2]);
  });

  it('maps an empty list to an empty list', async () => {
    expect(await mapConcurrently([], 4, async () => 1)).toEqual([]);
  });
});

describe('retryWithBackOff', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

  it('waits a full-jitter back-off between tries, on the global timers', async () => {
    vi.useFakeTimers();
    const attempts: number[] = [];
    const done = retryWithBackOff(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error('later');
        return 'written';
      },
      { policy, retryable: () => true, random: () => 0.5 },
    );
    await vi.advanceTimersByTimeAsync(49);
    expect(attempts).toEqual([1]);
    // Half of 100 * 2^0, then half of 100 * 2^1.
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(100);
    expect(await done).toBe('written');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('throws the last failure once the attempts are spent', async () => {
    vi.useFakeTimers();
    let tries = 0;
    const done = retryWithBackOff(
      async () => {
        tries++;
        throw new Error(`failure ${tries}`);
      },
      { policy, retryable: () => true },
    );
    const outcome = expect(done).rejects.toThrow('failure 4');
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(tries).toBe(4);
  });

  it('does not retry what `retryable` refuses', async () => {
    const sleep = vi.fn(async () => {});
    let tries = 0;
    await expect(
      retryWithBackOff(
        async () => {
          tries++;
          throw new Error('final');
        },
        { policy, retryable: () => false, sleep },
      ),
    ).rejects.toThrow('final');
    expect(tries).toBe(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('waits what the other side asked for, and gives up when that is longer than allowed', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    let tries = 0;
    const asked = await retryWithBackOff(
      async () => {
        tries++;
        if (tries === 1) throw new Error('rate limited');
        return 'ok';
      },
      { policy, retryable: () => ({ afterMs: 800 }), sleep },
    );
    expect(asked).toBe('ok');
    expect(sleeps).toEqual([800]);

    await expect(
      retryWithBackOff(
        async () => {
          throw new Error('come back in a minute');
        },
        { policy, retryable: () => ({ afterMs: 60_000 }), sleep },
      ),
    ).rejects.toThrow('come back in a minute');
    expect(sleeps).toEqual([800]);
  });

  it('refuses a policy without at least one attempt', async () => {
    await expect(
      retryWithBackOff(async () => 1, { policy: { ...policy, attempts: 0 }, retryable: () => true }),
    ).rejects.toThrow(/attempts/);
  });
});

describe('backOff', () => {
  it('grows exponentially up to the ceiling, jittered by the random draw', () => {
    const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backOff(policy, attempt, () => 0.999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backOff(policy, 3, () => 0)).toBe(0);
  });
});
