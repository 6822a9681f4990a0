/**
 * `GET /__local/clock` → `{ now }`; `POST /__local/clock {"advanceDays": N}` moves the clock every handler
 * reads forward by N days, then sweeps expired items at once, so retention can be watched without waiting.
 */
import { advanceClock, now } from '../shared/clock.ts';
import { jsonResponse, type LocalRequest, type LocalResponse, type LocalService } from './services.ts';

export interface ClockServiceOptions {
  /** Deletes what expired by the new time (the TTL sweeper); answers how many items went. */
  readonly sweep?: () => Promise<number>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A century is beyond any retention period, and keeps the date far inside what `Date` can hold. */
const MAX_ADVANCE_DAYS = 36_500;

export function clockService(options: ClockServiceOptions = {}): LocalService {
  return {
    name: 'clock',
    routes: [
      {
        method: 'GET',
        path: '/__local/clock',
        handle: () => jsonResponse(200, { now: now().toISOString() }),
      },
      { method: 'POST', path: '/__local/clock', handle: (request) => advance(request, options) },
    ],
  };
}

async function advance(request: LocalRequest, options: ClockServiceOptions): Promise<LocalResponse> {
  const days = readAdvanceDays(request.body);
  if (days === undefined)
    return jsonResponse(400, {
      message: `Send {"advanceDays": N}, N a number of days from 0 to ${MAX_ADVANCE_DAYS}`,
    });
  advanceClock(days * DAY_MS);
  const expiredItemsDeleted = options.sweep ? await options.sweep() : 0;
  return jsonResponse(200, { now: now().toISOString(), expiredItemsDeleted });
}

function readAdvanceDays(body: Buffer): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('advanceDays' in parsed)) return undefined;
  const days = parsed.advanceDays;
  return typeof days === 'number' && Number.isFinite(days) && days >= 0 && days <= MAX_ADVANCE_DAYS
    ? days
    : undefined;
}
