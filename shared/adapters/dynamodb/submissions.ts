/**
 * Submission markers on the single table: the transaction item that marks an enquiry submission as
 * answered (written with the enquiry), and the read that finds the first answer to a repeat.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired } from '../../domain/retention.ts';
import type { SubmissionMarker, Submissions } from '../../ports/submissions.ts';
import type { TransactItem } from './contact-items.ts';
import { keys } from './table.ts';

/** Only where none lives: of two identical submissions racing past the read, one fails and re-reads. */
export function putSubmissionMarker(tableName: string, marker: SubmissionMarker): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.submission(marker.key),
        type: 'submission',
        ...(marker.enquiryId ? { enquiryId: marker.enquiryId } : {}),
        expiresAt: marker.expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
      ExpressionAttributeValues: { ':now': marker.now },
    },
  };
}

export function submissions(db: DynamoDBDocumentClient, tableName: string): Submissions {
  return {
    async firstAnswer(key, now) {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: keys.submission(key), ConsistentRead: true }),
      );
      if (!Item || isExpired(Item.expiresAt as number | undefined, now)) return undefined;
      return { enquiryId: Item.enquiryId as string | undefined };
    },
  };
}
