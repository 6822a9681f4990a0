/**
 * Bounded concurrency, for every layer: a limiter that queues calls arriving from anywhere, and a map
 * that works through a list a few items at a time. Ours rather than p-limit/p-map: two short functions,
 * no dependency in every Lambda bundle, and the stop-on-first-failure rule the callers rely on.
 */

/** Runs at most `max` tasks at once; the rest wait their turn, in order. */
export function limitConcurrency(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  requireWholeAtLeastOne(max);
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<void> => {
    if (running < max) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    // A waiting task takes the slot over directly, so a newcomer cannot slip in between.
    if (next) next();
    else running--;
  };
  return async (task) => {
    await acquire();
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/**
 * Maps `items` through `task`, at most `concurrency` at once, answering the results in the items' order.
 * The first failure rejects the whole map and no further item is started (those running finish on their
 * own): the caller's retry starts over from what is left.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  requireWholeAtLeastOne(concurrency);
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

function requireWholeAtLeastOne(value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError('The concurrency must be a whole number of at least 1');
}
