/**
 * Where the MailChimp reconciliation resumes, as its use case sees it: read the cursor, and move it only
 * if no other run moved it meanwhile. shared/adapters/dynamodb/reconcile-cursor.ts implements it.
 */

export interface ReconcileCursor {
  /** MailChimp's `last_changed` (ISO 8601) to read from next time. */
  readonly lastChanged: string;
  readonly version: number;
}

/** Another run moved the cursor between our read and our write. */
export class CursorConflictError extends Error {
  override readonly name = 'CursorConflictError';
}

export interface ReconcileCursorStore {
  read(): Promise<ReconcileCursor | undefined>;
  /** Writes `lastChanged` if the cursor is still at `read` (or still absent when `read` is undefined). */
  move(read: ReconcileCursor | undefined, lastChanged: string, at: Date): Promise<void>;
}
