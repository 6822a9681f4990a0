/**
 * Where a MailChimp reconciliation resumes. One item per direction, moved only by a write conditional on the version
 * that was read, so two overlapping runs cannot both move it (the later one would move it backwards).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CursorConflictError, type ReconcileCursorStore } from '../../ports/reconcile-cursor.ts';
import { keys } from './table.ts';

/**
 * `inbound`: the MailChimp changes applied here (MailChimp's `last_changed`); `outward`: our changes
 * compared with MailChimp (our own ISO times).
 */
export function createReconcileCursorStore(
  db: DynamoDBDocumentClient,
  tableName: string,
  direction: 'inbound' | 'outward' = 'inbound',
): ReconcileCursorStore {
  const key = direction === 'inbound' ? keys.reconcileCursor() : keys.outwardReconcileCursor();
  return {
    async read() {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      if (!Item) return undefined;
      return { lastChanged: String(Item.lastChanged), version: Number(Item.version) };
    },

    async move(read, lastChanged, at) {
      const condition = read
        ? {
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': read.version },
          }
        : { ConditionExpression: 'attribute_not_exists(pk)' };
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...key,
              type: 'reconcile_cursor',
              lastChanged,
              updatedAt: at.toISOString(),
              version: (read?.version ?? 0) + 1,
            },
            ...condition,
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new CursorConflictError('Another run moved the reconciliation cursor', { cause: error });
        }
        throw error;
      }
    },
  };
}
