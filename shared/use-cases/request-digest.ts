/**
 * The daily digest of the request register: requests due within 7 days or overdue, emailed to the privacy
 * address, and how many are overdue (for the metric and its alarm).
 */
import { daysLeft } from '../domain/request-clock.ts';
import { registerDate } from '../domain/subject-request.ts';
import { type DigestLine, digestEmail } from '../email/subject-request-emails.ts';
import { log } from '../log.ts';
import type { ListPosition } from '../ports/staff-reads.ts';
import { queuedEmail } from './queued-email.ts';
import { type RightsDeps, requestSettings } from './rights/rights-deps.ts';

const PAGE_SIZE = 100;

/**
 * The daily digest: requests due within 7 days or overdue, emailed to the privacy address. Answers how
 * many are overdue, for the metric and its alarm.
 */
export async function sendRequestDigest(deps: RightsDeps): Promise<{ overdue: number; dueSoon: number }> {
  const now = deps.clock();
  const lines: DigestLine[] = [];
  let after: ListPosition | undefined;
  do {
    const page = await deps.register.list({ list: 'open', limit: PAGE_SIZE, after });
    for (const { request } of page.items) {
      const due = registerDate(request);
      if (due === null) continue;
      const left = daysLeft(due, now);
      if (left <= 7)
        lines.push({
          reference: request.id,
          type: request.type,
          status: request.status,
          due,
          daysLeft: left,
        });
    }
    after = page.next;
  } while (after);
  const overdue = lines.filter((line) => line.daysLeft < 0).length;
  const to = requestSettings(deps.config).privacyEmail;
  if (to && lines.length > 0) {
    const email = digestEmail({ to, organisation: deps.config.organisation.name, lines });
    // One id a day: a retried run finds the day's digest queued already and queues no second one.
    const id = `request-digest-${now.toISOString().slice(0, 10)}`;
    await deps.mailQueue.queue([queuedEmail(id, now, { kind: 'request_digest', email })]);
  }
  log.info('subject_request_digest', {
    overdue,
    dueSoon: lines.length - overdue,
    sent: Boolean(to && lines.length),
  });
  return { overdue, dueSoon: lines.length - overdue };
}
