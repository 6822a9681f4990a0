/**
 * Structured JSON logs. Callers pass only what is safe to keep: ids, counts, codes, durations.
 * Never pass names, addresses, message text or request bodies: the log is not a place for personal data.
 */
type Safe = string | number | boolean | undefined;

function write(level: 'info' | 'warn' | 'error', event: string, details: Record<string, Safe>): void {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...details });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  info: (event: string, details: Record<string, Safe> = {}) => write('info', event, details),
  warn: (event: string, details: Record<string, Safe> = {}) => write('warn', event, details),
  error: (event: string, details: Record<string, Safe> = {}) => write('error', event, details),
};

/** An error's class and stack are safe to log; its message might quote input, so it is left out. */
export function describeError(error: unknown): Record<string, Safe> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  return { errorName: error.name, stack: error.stack?.split('\n').slice(1, 6).join(' | ') };
}
