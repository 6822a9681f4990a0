/**
 * Where the MailChimp reconciliation resumes: one stored position, moved only if nobody else moved it
 * since it was read, so two overlapping runs cannot both move it (the later one would move it backwards).
 * `shared/adapters/dynamodb/reconcile-cursor.ts` implements it with a version-conditional write.
 */
export interface ReconcileCursor {
  /** MailChimp's `last_changed` (ISO 8601) to read from next time. */
  readonly lastChanged: string;
  readonly version: number;
}

export interface ReconcileCursorStore {
  read(): Promise<ReconcileCursor | undefined>;
  /**
   * Writes `lastChanged` if the cursor is still at `read` (or still absent when `read` is undefined);
   * otherwise throws the store's conflict error.
   */
  move(read: ReconcileCursor | undefined, lastChanged: string, at: Date): Promise<void>;
}
