/**
 * A complaint made on the complaint form: a `complaint` in the register (its 30-day acknowledgement date
 * and its outcome tracked there, its text kept only on the request), an acknowledgement to the person at
 * once, and a notice to the privacy address naming the reference, never the text.
 */
import type { SubmittedFields } from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { interpretComplaint } from '../domain/people-forms.ts';
import { complaintAcknowledgement, complaintNotice } from '../email/privacy-centre-emails.ts';
import { countMetric, log } from '../log.ts';
import { checkBot, type PeoplePagesDeps } from './people-pages-deps.ts';
import { queuedEmail } from './queued-email.ts';
import { requestSettings } from './rights/rights-deps.ts';
import { receivePersonRequest } from './subject-requests.ts';

export async function receiveComplaint(deps: PeoplePagesDeps, fields: SubmittedFields): Promise<void> {
  const form = interpretComplaint(deps.config.peoplePages, fields);
  if (form.kind === 'invalid') throw new InvalidInputError(form.fields);
  if (form.kind === 'spam') {
    // Answered exactly like a success so bots learn nothing; nothing is kept or sent.
    log.info('complaint_discarded', { reason: 'honeypot' });
    return;
  }
  await checkBot(deps, form.turnstileToken);
  const entry = await receivePersonRequest(deps, {
    type: 'complaint',
    email: form.email,
    input: { about: form.about, details: form.details },
    verifiedBy: undefined,
  });
  const organisation = deps.config.organisation.name;
  const reference = entry.request.id;
  const now = deps.clock();
  const emails = [
    queuedEmail(deps.newId(), now, {
      kind: 'complaint_acknowledgement',
      email: complaintAcknowledgement({ to: form.email, organisation, reference }),
    }),
  ];
  const privacyEmail = requestSettings(deps.config).privacyEmail;
  if (privacyEmail) {
    const notice = complaintNotice({
      to: privacyEmail,
      organisation,
      reference,
      about: form.about,
      acknowledgeBy: entry.request.acknowledgeBy,
    });
    emails.push(queuedEmail(deps.newId(), now, { kind: 'complaint_notice', email: notice }));
  }
  await deps.mailQueue.queue(emails);
  countMetric('ComplaintsReceived', 1, { about: form.about });
  log.info('complaint_received', { about: form.about, privacyTold: Boolean(privacyEmail) });
}
