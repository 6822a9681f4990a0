/**
 * The contacts store on the single table: composes the reads, the conditional writes, the address-move
 * saga and the bulk import into the port use cases depend on.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContactsRepository } from '../../ports/contacts-store.ts';
import { addressMoves } from './address-moves.ts';
import { bulkImport } from './bulk-import.ts';
import { contactReads } from './contact-reads.ts';
import { contactWrites } from './contact-writes.ts';

export function createContactsRepository(db: DynamoDBDocumentClient, tableName: string): ContactsRepository {
  return {
    ...contactReads(db, tableName),
    ...contactWrites(db, tableName),
    ...addressMoves(db, tableName),
    ...bulkImport(db, tableName),
  };
}
