/**
 * The note the local TTL sweeper leaves for the stream poller, so a TTL deletion's REMOVE record names the
 * DynamoDB service as AWS's does.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { TABLE_DEFINITION } from '../shared/adapters/dynamodb/table.ts';

/**
 * DynamoDB Local's stream record for a delete never says who deleted, while AWS marks a TTL deletion's
 * REMOVE record with the DynamoDB service identity. The sweeper notes each key, with the expiry it acted
 * on, just before deleting; the poller claims the note when the matching REMOVE record arrives.
 */
export class TtlDeletions {
  readonly #pending = new Map<string, { expiresAt: string; deadline: number }>();

  /** @param holdMs how long an unclaimed note stays valid (wall-clock time, which the local clock does not move) */
  constructor(private readonly holdMs = 60_000) {}

  /** Notes a coming TTL deletion; call the returned function if the delete did not happen after all. */
  expect(keys: KeyAttributes, expiresAt: string): () => void {
    this.#prune();
    const key = keyString(keys);
    const note = { expiresAt, deadline: Date.now() + this.holdMs };
    this.#pending.set(key, note);
    return () => {
      if (this.#pending.get(key) === note) this.#pending.delete(key);
    };
  }

  /** True, once, for the REMOVE record of a noted deletion. */
  claim(record: DynamoDBRecord): boolean {
    this.#prune();
    const keys = record.dynamodb?.Keys;
    if (record.eventName !== 'REMOVE' || !keys) return false;
    const key = keyString(keys);
    const note = this.#pending.get(key);
    if (!note) return false;
    // Without an old image (a KEYS_ONLY stream) the key alone has to do.
    const oldExpiry = record.dynamodb?.OldImage?.[TABLE_DEFINITION.timeToLiveAttribute]?.N;
    if (record.dynamodb?.OldImage && oldExpiry !== note.expiresAt) return false;
    this.#pending.delete(key);
    return true;
  }

  #prune(): void {
    const now = Date.now();
    for (const [key, note] of this.#pending) if (note.deadline < now) this.#pending.delete(key);
  }
}

type KeyAttributes = Readonly<Record<string, { readonly S?: string; readonly N?: string } | undefined>>;

function keyString(keys: KeyAttributes): string {
  const part = (name: string) => keys[name]?.S ?? keys[name]?.N ?? '';
  return JSON.stringify([part(TABLE_DEFINITION.partitionKey), part(TABLE_DEFINITION.sortKey)]);
}
