import { describe, expect, it } from 'vitest';
import { type EmailKind, MESSAGE_CLASS, mayBeSent } from '../../shared/domain/message-class.ts';
import { enquiryAcknowledgement } from '../../shared/email/enquiry-acknowledgement.ts';
import type { ContactLinks } from '../../shared/email/links.ts';
import { confirmationEmail, welcomeEmail } from '../../shared/email/marketing-emails.ts';
import {
  addressChangeEmail,
  complaintAcknowledgement,
  complaintNotice,
  privacyCentreLinkEmail,
  requestDoneEmail,
} from '../../shared/email/privacy-centre-emails.ts';
import { staffNotification } from '../../shared/email/staff-notification.ts';
import {
  digestEmail,
  extensionEmail,
  refusalEmail,
  verificationEmail,
} from '../../shared/email/subject-request-emails.ts';
import type { OutgoingEmail } from '../../shared/ports/mailer.ts';

const LINKS: ContactLinks = {
  unsubscribeUrl: 'https://consent.example/unsubscribe?token=u',
  preferencesUrl: 'https://consent.example/preferences?token=p',
  confirmUrl: 'https://consent.example/confirm?token=c',
  privacyCentreUrl: 'https://consent.example/privacy-centre',
};
const person = {
  to: 'ada@example.com',
  organisation: 'Example Ltd',
  type: 'access',
  reference: 'R1',
} as const;
const marketing = {
  to: 'ada@example.com',
  organisation: 'Example Ltd',
  topicLabels: ['Newsletter'],
  links: LINKS,
};

/** One rendered email of every kind the product sends. */
const EVERY_EMAIL: Readonly<Record<EmailKind, OutgoingEmail>> = {
  staff_notification: staffNotification({
    to: ['sales@example.co.uk'],
    formId: 'contact',
    enquiryId: 'E1',
    stored: true,
    fields: { email: 'ada@example.com', message: 'Hello' },
    marketing: { kind: 'none' },
    awaitingConfirmation: false,
  }),
  enquiry_acknowledgement: enquiryAcknowledgement({
    to: 'ada@example.com',
    organisation: 'Example Ltd',
    reference: 'E1',
  }),
  confirmation: confirmationEmail({ ...marketing, statement: 'Tick for the newsletter.' }),
  welcome: welcomeEmail(marketing),
  request_verification: verificationEmail({
    ...person,
    url: 'https://consent.example/verify-request?token=v',
  }),
  request_extension: extensionEmail({ ...person, dueAt: '2027-03-01', reason: 'Several requests at once.' }),
  request_refusal: refusalEmail({ ...person, reason: 'excessive', explanation: '' }),
  request_digest: digestEmail({ to: 'privacy@example.co.uk', organisation: 'Example Ltd', lines: [] }),
  request_done: requestDoneEmail({ ...person, outcome: 'Done.' }),
  complaint_acknowledgement: complaintAcknowledgement(person),
  complaint_notice: complaintNotice({
    ...person,
    to: 'privacy@example.co.uk',
    about: 'marketing_emails',
    acknowledgeBy: '2027-01-01',
  }),
  privacy_centre_link: privacyCentreLinkEmail({
    ...person,
    url: 'https://consent.example/privacy-centre?token=p',
  }),
  address_change: addressChangeEmail({ ...person, url: 'https://consent.example/verify-request?token=v' }),
};

/** Links a service message may carry: the action it is about, and the person's own controls. */
const SERVICE_LINKS =
  /https:\/\/consent\.example\/(confirm|verify-request|unsubscribe|preferences|privacy-centre)(\?token=\w+)?/g;

describe('email classes', () => {
  it('class every kind of email, and only welcome emails are marketing', () => {
    expect(Object.keys(MESSAGE_CLASS).sort()).toEqual(Object.keys(EVERY_EMAIL).sort());
    expect(Object.entries(MESSAGE_CLASS).filter(([, kind]) => kind === 'marketing')).toEqual([
      ['welcome', 'marketing'],
    ]);
  });

  it('send service messages whatever the permission, marketing only to who may receive it', () => {
    for (const kind of Object.keys(MESSAGE_CLASS) as EmailKind[]) {
      expect(mayBeSent(kind, { mayReceiveMarketing: true })).toBe(true);
      expect(mayBeSent(kind, { mayReceiveMarketing: false })).toBe(MESSAGE_CLASS[kind] === 'service');
    }
  });

  it.each((Object.keys(EVERY_EMAIL) as EmailKind[]).filter((kind) => MESSAGE_CLASS[kind] === 'service'))(
    "a %s carries no link but its action and the person's own controls",
    (kind) => {
      const email = EVERY_EMAIL[kind];
      for (const part of [email.text, email.html]) {
        expect(part.replace(SERVICE_LINKS, '')).not.toMatch(/https?:\/\//);
      }
    },
  );
});

describe('the enquiry acknowledgement', () => {
  it('says the enquiry arrived, gives the reference, and repeats nothing the sender typed', () => {
    const email = enquiryAcknowledgement({
      to: 'ada@example.com',
      organisation: 'Example Ltd',
      reference: 'E1',
    });
    expect(email).toMatchObject({
      to: ['ada@example.com'],
      subject: 'We received your enquiry to Example Ltd',
    });
    expect(email.text).toContain('Your reference: E1');
    expect(email.text).toMatch(/service message/);
    expect(email.headers).toBeUndefined();
    expect(email.text).not.toMatch(/https?:\/\/|newsletter|unsubscribe/i);
  });

  it('names no reference for an enquiry that is not kept', () => {
    const email = enquiryAcknowledgement({ to: 'ada@example.com', organisation: 'Example Ltd' });
    expect(email.text).not.toContain('reference');
  });

  it('escapes the organisation name in its HTML', () => {
    const email = enquiryAcknowledgement({ to: 'a@example.com', organisation: 'A & <B>' });
    expect(email.html).not.toContain('<B>');
    expect(email.html).toContain('A &#38; ');
  });
});
