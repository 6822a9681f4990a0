/** Staff-list paging cursors, HMAC-signed with the link key ring (the format is in shared/domain/page-cursor.ts). */
import { InvalidCursorError, signCursor, verifyCursor } from '../domain/page-cursor.ts';
import type { KeyRing } from '../domain/tokens.ts';
import type { PageCursors } from '../ports/page-cursors.ts';

export function signedPageCursors(ring: () => Promise<KeyRing>): PageCursors {
  return {
    async sign(scope, position, now) {
      return signCursor(await ring(), scope, position, now);
    },
    async open(cursor, scope, now) {
      try {
        return verifyCursor(await ring(), cursor, scope, now);
      } catch (error) {
        if (error instanceof InvalidCursorError) return undefined;
        throw error;
      }
    },
  };
}
