/**
 * The checks an import makes before adding anyone, for thousands of addresses at once: each address's
 * profile item and suppression entry, read by key through BatchGetItem (never a scan).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Suppression } from '../../domain/consent.ts';
import { isExpired } from '../../domain/retention.ts';
import type { ImportChecks } from '../../ports/import-checks.ts';
import { batchGetAll } from './batch-get.ts';
import { keys } from './table.ts';

/** Requests in flight: enough to read 10,000 addresses in seconds without starving other callers. */
const READS_IN_FLIGHT = 4;

export function createImportChecks(db: DynamoDBDocumentClient, tableName: string): ImportChecks {
  return {
    async check(candidates, now) {
      const items = await batchGetAll(
        db,
        tableName,
        candidates.flatMap((candidate) => [
          keys.contact(candidate.contactId),
          keys.suppression(candidate.suppressionHash),
        ]),
        { inFlight: READS_IN_FLIGHT },
      );
      const held = new Set<string>();
      const suppressions = new Map<string, Suppression>();
      const contactPrefix = keys.contact('').pk;
      const suppressionPrefix = keys.suppression('').pk;
      for (const item of items) {
        const pk = String(item.pk);
        if (pk.startsWith(contactPrefix)) {
          // DynamoDB deletes expired items days late: an expired profile is no one held.
          if (!isExpired(item.expiresAt as number | undefined, now)) held.add(pk.slice(contactPrefix.length));
        } else if (pk.startsWith(suppressionPrefix)) {
          suppressions.set(pk.slice(suppressionPrefix.length), {
            all: item.all === true,
            topics: new Set((item.topics as string[] | undefined) ?? []),
          });
        }
      }
      return { held, suppressions };
    },
  };
}
