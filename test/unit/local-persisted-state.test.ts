/**
 * Local mode's `--persist` for the in-memory services: the MailChimp emulator's members and the outbox
 * written to files, and read back by the next start.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailchimpEmulator } from '../../local/mailchimp-emulator/index.ts';
import { emulatorMembersPart, outboxPart, persistedStateService } from '../../local/persisted-state.ts';
import { localOutbox } from '../../shared/adapters/mail/outbox.ts';
import { subscriberHash } from '../../shared/domain/subscriber-hash.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  localOutbox.length = 0;
});

describe('--persist for the emulator and the outbox', () => {
  it('brings back the members with their statuses, and the outbox, after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consent-desk-persist-'));
    dirs.push(dir);
    const before = new MailchimpEmulator({ apiKey: 'local-key-us1' });
    const first = persistedStateService(dir, [outboxPart, emulatorMembersPart(before)]);
    await first.start?.({} as never);
    const added = await before.handleApi({
      method: 'PUT',
      path: `/lists/${before.listId}/members/${subscriberHash('ada@example.com')}`,
      query: new URLSearchParams(),
      headers: { authorization: `Basic ${Buffer.from('any:local-key-us1').toString('base64')}` },
      body: Buffer.from(JSON.stringify({ email_address: 'ada@example.com', status_if_new: 'subscribed' })),
    });
    expect(added.statusCode).toBe(200);
    await before.unsubscribe('ada@example.com');
    localOutbox.push({
      to: 'ada@example.com',
      subject: 'Hi',
      text: 't',
      html: 'h',
      sentAt: '2026-12-04T00:00:00Z',
    });
    await first.stop?.();
    expect(readdirSync(dir).sort()).toEqual(['mailchimp-members.json', 'outbox.json']);

    // A new process: empty memory, the same directory.
    localOutbox.length = 0;
    const after = new MailchimpEmulator({ apiKey: 'local-key-us1' });
    expect(after.listMembers()).toEqual([]);
    const second = persistedStateService(dir, [outboxPart, emulatorMembersPart(after)]);
    await second.start?.({} as never);
    expect(after.listMembers()).toEqual(before.listMembers());
    expect(after.listMembers()).toEqual([
      expect.objectContaining({ email_address: 'ada@example.com', status: 'unsubscribed' }),
    ]);
    expect(localOutbox).toEqual([expect.objectContaining({ to: 'ada@example.com', subject: 'Hi' })]);
    await second.stop?.();
    expect(existsSync(join(dir, `outbox.json.${process.pid}.tmp`))).toBe(false);
  });
});
