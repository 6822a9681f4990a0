/**
 * `--persist` for what local mode otherwise keeps in memory: the MailChimp emulator's members and the
 * outbox live in JSON files under .data/ across restarts, like DynamoDB Local's data beside them. Read at
 * start; written whenever they changed (checked twice a second) and at stop, each write atomic (a temporary
 * file renamed over the old one), so a crash mid-write never leaves a half-written file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localOutbox, type OutboxEntry } from '../shared/adapters/mail/outbox.ts';
import type { MailchimpEmulator } from './mailchimp-emulator/index.ts';
import type { LocalService } from './services.ts';

const FLUSH_INTERVAL_MS = 500;

/** One piece of in-memory state and how to read and replace it. */
export interface PersistedPart {
  readonly file: string;
  readonly save: () => unknown;
  readonly restore: (state: unknown) => void;
}

export function emulatorMembersPart(emulator: MailchimpEmulator): PersistedPart {
  return {
    file: 'mailchimp-members.json',
    save: () => emulator.savedMembers(),
    restore: (state) => emulator.restoreMembers(state as ReturnType<MailchimpEmulator['savedMembers']>),
  };
}

export const outboxPart: PersistedPart = {
  file: 'outbox.json',
  save: () => localOutbox,
  restore: (state) => {
    localOutbox.length = 0;
    localOutbox.push(...(state as OutboxEntry[]));
  },
};

export function persistedStateService(dir: string, parts: readonly PersistedPart[]): LocalService {
  const written = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    for (const part of parts) {
      const text = JSON.stringify(part.save(), replacer);
      if (written.get(part.file) === text) continue;
      writeAtomically(join(dir, part.file), text);
      written.set(part.file, text);
    }
  };
  return {
    name: 'persisted-state',
    async start() {
      mkdirSync(dir, { recursive: true });
      for (const part of parts) {
        const path = join(dir, part.file);
        if (!existsSync(path)) continue;
        const text = readFileSync(path, 'utf8');
        part.restore(JSON.parse(text, reviver));
        written.set(part.file, text);
      }
      timer = setInterval(flush, FLUSH_INTERVAL_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      flush();
    },
  };
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

// Maps and Dates survive the round trip as tagged objects.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (original instanceof Map) return { $map: [...original.entries()] };
  if (original instanceof Date) return { $date: original.toISOString() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if ('$map' in value && Array.isArray(value.$map)) return new Map(value.$map);
  if ('$date' in value && typeof value.$date === 'string') return new Date(value.$date);
  return value;
}
