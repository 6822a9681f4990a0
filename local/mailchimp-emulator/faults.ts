/**
 * Fault injection for the MailChimp emulator: the next API calls fail as MailChimp does under load (503,
 * 429, the edge's bare 403 page, or an answer held past the client's timeout), and the documented limit
 * on simultaneous connections.
 */
import type { LocalResponse } from '../services.ts';
import { ProblemError, problemResponse, tooManyRequests } from './problems.ts';

export type FaultMode = '503' | '429' | '403-bare' | 'timeout';

/** MailChimp's documented limit on simultaneous connections per account. */
const MAX_SIMULTANEOUS_CONNECTIONS = 10;

export class Faults {
  #fault: { mode: FaultMode; remaining: number } | undefined;
  #inFlight = 0;
  readonly #held = new Set<() => void>();

  /** @param timeoutHoldMs how long a `timeout` fault holds its answer */
  constructor(private readonly timeoutHoldMs: number) {}

  /** The next `count` API calls fail as `mode` says; `none` clears. */
  inject(mode: FaultMode | 'none', count = 1): void {
    this.#fault = mode === 'none' || count < 1 ? undefined : { mode, remaining: count };
  }

  pending(): { mode: FaultMode; remaining: number } | undefined {
    return this.#fault && { ...this.#fault };
  }

  /** Answers the calls a `timeout` fault is holding at once (so a server can close, or a test move on). */
  releaseHeldCalls(): void {
    for (const release of this.#held) release();
    this.#held.clear();
  }

  /**
   * Runs one API call within the connection limit and any pending fault: a failing fault answers instead
   * of the call; a `timeout` lets the call take effect but holds its answer too long.
   */
  async answerWithFaults(call: () => Promise<LocalResponse>): Promise<LocalResponse> {
    if (this.#inFlight >= MAX_SIMULTANEOUS_CONNECTIONS) return problemResponse(tooManyRequests());
    this.#inFlight += 1;
    try {
      const fault = this.#take();
      if (fault === '429') return problemResponse(tooManyRequests());
      if (fault === '503') {
        return problemResponse(
          new ProblemError(
            503,
            'Service Unavailable',
            'The server is temporarily unable to handle the request. Please try again later.',
          ),
        );
      }
      if (fault === '403-bare') {
        // MailChimp's edge refuses bursts with a bare HTML page rather than a problem document.
        return {
          statusCode: 403,
          headers: { 'Content-Type': 'text/html' },
          body: '<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>Access Denied</BODY></HTML>',
        };
      }
      const response = await call();
      // The call takes effect but its answer comes too late: retries must be safe to repeat.
      if (fault === 'timeout') await this.#hold(this.timeoutHoldMs);
      return response;
    } finally {
      this.#inFlight -= 1;
    }
  }

  #take(): FaultMode | undefined {
    if (!this.#fault) return undefined;
    const { mode } = this.#fault;
    this.#fault.remaining -= 1;
    if (this.#fault.remaining <= 0) this.#fault = undefined;
    return mode;
  }

  #hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.#held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.#held.add(release);
    });
  }
}
