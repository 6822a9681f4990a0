/**
 * Paging cursors for the staff lists: an opaque, tamper-evident token for "where this list resumes".
 * `shared/adapters/page-cursors.ts` implements it by signing with the link key ring.
 */

/** Where a list resumes: attribute names to string values, opaque to the use cases. */
export type PagePosition = Readonly<Record<string, string>>;

export interface PageCursors {
  /** A cursor that resumes the list `scope` (route and filter) at `position`. */
  sign(scope: string, position: PagePosition, now: Date): Promise<string>;
  /**
   * The position `cursor` holds, or undefined when it was not issued by us for this scope, recently.
   * Nothing about a refused cursor is said, so a caller learns nothing from trying.
   */
  open(cursor: string, scope: string, now: Date): Promise<PagePosition | undefined>;
}
