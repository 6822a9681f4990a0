/**
 * The deployment's configuration file (`consent-desk.config.json`): one schema read by the CDK app at
 * synth time, by the local runner, and (the runtime subset) by every function at INIT.
 * Written with `zod/mini` because functions load it: full zod costs ~50 ms of cold start.
 */
import * as z from 'zod/mini';
import {
  DEFAULT_RETENTION,
  DEFAULT_SUBJECT_REQUESTS,
  ENQUIRY_FIELDS,
  RELATIONSHIP_FIELDS,
} from '../domain/settings.ts';

export { ENQUIRY_FIELDS, type EnquiryField } from '../domain/settings.ts';

const slug = z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, - or _'));
const httpsUrl = z.string().check(z.regex(/^https:\/\/[^\s]+$/, 'an absolute https:// URL'));
const origin = z
  .string()
  .check(z.regex(/^https?:\/\/[^/\s]+$/, 'an origin such as https://www.example.co.uk'));
const positiveInt = z.number().check(z.int(), z.positive());
const email = z.string().check(z.regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address'));

const statementSchema = z.object({
  version: z.string().check(z.minLength(1), z.maxLength(40)),
  text: z.string().check(z.minLength(1), z.maxLength(2000)),
});
export type MarketingStatement = z.infer<typeof statementSchema>;

const marketingSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }),
  z.object({
    /** Express consent: an unticked box the visitor ticks (`marketing_consent`). */
    mode: z.literal('consent'),
    topics: z.array(slug).check(z.minLength(1)),
    statement: statementSchema,
    /** Statements shown before the current one, so a page cached with an older text still records what was shown. */
    previousStatements: z._default(z.array(statementSchema), []),
    /**
     * What follows a new permission: `double_opt_in` keeps the person pending until they use the link in
     * a confirmation email; `welcome` sends a welcome email; `none` sends nothing.
     */
    confirmation: z._default(z.enum(['double_opt_in', 'welcome', 'none']), 'none'),
  }),
  z.object({
    /** PECR reg 22 soft opt-in: only for forms used in a sale or negotiation; `marketing_opt_out` refuses. */
    mode: z.literal('soft_opt_in'),
    topics: z.array(slug).check(z.minLength(1)),
    statement: statementSchema,
    previousStatements: z._default(z.array(statementSchema), []),
    confirmation: z._default(z.enum(['welcome', 'none']), 'none'),
  }),
]);
export type MarketingConfig = z.infer<typeof marketingSchema>;

const fieldList = z.array(z.enum(ENQUIRY_FIELDS));

export const formSchema = z.object({
  id: slug,
  /** `false`: the enquiry is delivered to staff and not kept. */
  store: z._default(z.boolean(), true),
  keep: fieldList,
  required: z._default(fieldList, []),
  marketing: z._default(marketingSchema, { mode: 'none' }),
  /** Where an HTML form post is sent after success; its origin must be in `allowedOrigins`. */
  successUrl: z.optional(httpsUrl),
  honeypot: z._default(z.string().check(z.regex(/^[a-z][a-z0-9_-]{0,39}$/)), 'website'),
  turnstile: z._default(z.boolean(), false),
  /** `true`: the sender gets a service message saying the enquiry arrived (needs `email` kept). */
  acknowledge: z._default(z.boolean(), false),
});
export type FormConfig = z.infer<typeof formSchema>;

export const retentionSchema = z.object({
  enquiryMonths: z._default(positiveInt, DEFAULT_RETENTION.enquiryMonths),
  softOptInMonths: z._default(positiveInt, DEFAULT_RETENTION.softOptInMonths),
  consentMonths: z._default(positiveInt, DEFAULT_RETENTION.consentMonths),
  pendingDays: z._default(positiveInt, DEFAULT_RETENTION.pendingDays),
  /** A contact whose permissions are all withdrawn is deleted this long after; the suppression hash stays. */
  withdrawnDays: z._default(positiveInt, DEFAULT_RETENTION.withdrawnDays),
  /** Consent events are the proof of consent (ICO), kept after the fact for claims: 6 years by default. */
  consentRecordMonths: z._default(positiveInt, DEFAULT_RETENTION.consentRecordMonths),
  /** Audit items (each staff read of personal data), kept for accountability: 6 years by default. */
  auditMonths: z._default(positiveInt, DEFAULT_RETENTION.auditMonths),
  /** Point-in-time recovery window: DynamoDB keeps 1 to 35 days of continuous backups. */
  backupDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(35)), DEFAULT_RETENTION.backupDays),
  /** Subject requests (the register) and erasure receipts: 6 years by default. */
  requestMonths: z._default(positiveInt, DEFAULT_RETENTION.requestMonths),
  /**
   * Marketing permissions kept until withdrawn instead of lapsing after `consentMonths` /
   * `softOptInMonths`; allowed only with `marketing.repermission` or `reviewMonths` (checked below).
   */
  keepUntilWithdrawn: z._default(z.array(z.enum(['consent', 'soft_opt_in'])), []),
  /** How often the contacts are reviewed and defunct ones deleted, in months. */
  reviewMonths: z.optional(positiveInt),
});
export type RetentionConfig = z.infer<typeof retentionSchema>;

const subjectRequestsSchema = z.object({
  /** Where the daily digest of requests due within 7 days or overdue is sent. */
  privacyEmail: z.optional(email),
  exportDays: z._default(positiveInt, DEFAULT_SUBJECT_REQUESTS.exportDays),
  bankHolidays: z._default(
    z.array(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'))),
    [],
  ),
});

/** The privacy centre's link request and the complaint form: bot checks as the enquiry forms have. */
const peoplePagesSchema = z.object({
  honeypot: z._default(z.string().check(z.regex(/^[a-z][a-z0-9_-]{0,39}$/)), 'website'),
  turnstile: z._default(z.boolean(), false),
});

const topicSchema = z.object({ id: slug, label: z.string().check(z.minLength(1), z.maxLength(120)) });

/** Business contacts held under legitimate interest or contract (never for marketing). */
const relationshipsSchema = z.object({
  /** The reference of the legitimate interests assessment the list rests on. */
  legitimateInterestReference: z.string().check(z.minLength(1), z.maxLength(100)),
  /** The details the list holds besides address and name; a postal address only if listed here. */
  fields: z._default(z.array(z.enum(RELATIONSHIP_FIELDS)), ['company', 'phone']),
  /** Kept this long after it was last recorded or updated. */
  months: z._default(positiveInt, 24),
});

/** What the functions need at run time. */
export const runtimeConfigSchema = z
  .object({
    organisation: z.object({ name: z.string().check(z.minLength(1)) }),
    topics: z.array(topicSchema).check(z.minLength(1)),
    forms: z.array(formSchema).check(z.minLength(1)),
    retention: z._default(retentionSchema, () => z.parse(retentionSchema, {})),
    allowedOrigins: z.array(origin),
    notifications: z.object({ from: email, to: z.array(email).check(z.minLength(1)) }),
    /** What the preference centre tells people before they switch a topic on (recorded as express consent). */
    preferenceCentre: z._default(z.object({ statement: statementSchema }), {
      statement: {
        version: 'default-1',
        text: 'Choose the emails you want from us. You can change this at any time, and every email has a link to unsubscribe.',
      },
    }),
    /**
     * Where links in emails point (e.g. https://consent.example.co.uk). Optional: by default they point at
     * the API that sent the email.
     */
    publicBaseUrl: z.optional(httpsUrl),
    /**
     * The topics a subscribe in MailChimp's own signup form records express consent to. Default: the
     * topics of every consent-mode form; `[]`: such a subscribe records nothing.
     */
    mailchimpSignupTopics: z.optional(z.array(slug)),
    /** Business contacts held for the relationship (`POST /relationships`); absent: none are taken. */
    relationships: z.optional(relationshipsSchema),
    /** The register of data-subject requests. */
    subjectRequests: z._default(subjectRequestsSchema, () => z.parse(subjectRequestsSchema, {})),
    /** The privacy centre and complaint forms. */
    peoplePages: z._default(peoplePagesSchema, () => z.parse(peoplePagesSchema, {})),
    /** At most one double opt-in confirmation email per address in this many hours (0: no limit). */
    marketing: z._default(
      z.object({
        confirmationWindowHours: z._default(z.number().check(z.int(), z.gte(0)), 24),
        /** Asking people with express consent to renew it, these many days before it would lapse. */
        repermission: z.optional(z.object({ daysBefore: z.array(positiveInt).check(z.minLength(1)) })),
      }),
      { confirmationWindowHours: 24 },
    ),
  })
  .check(z.superRefine(checkCrossReferences));
export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

const wafSchema = z.object({
  enabled: z._default(z.boolean(), true),
  /** Requests per client IP per 5 minutes before WAF blocks it. */
  rateLimitPer5Minutes: z._default(z.number().check(z.int(), z.gte(10)), 300),
});

const mailchimpSchema = z.object({
  /** The data centre of the account, e.g. `us21` (the part after the dash in the API key). */
  server: z.string().check(z.regex(/^[a-z]{2}\d{1,3}$/, 'a MailChimp data centre such as us21')),
  listId: z.string().check(z.minLength(1)),
  /**
   * The merge field holding each member's signed preferences link, for campaigns to link to our preference
   * centre. MailChimp's merge tags are at most 10 characters, upper-case letters, digits and `_`.
   */
  preferencesMergeTag: z._default(
    z.string().check(
      z.regex(/^[A-Z][A-Z0-9_]{0,9}$/, 'a MailChimp merge tag: up to 10 of A-Z, 0-9 and _'),
      z.refine((tag) => tag !== 'EMAIL', 'EMAIL is the address itself'),
    ),
    'PREFSURL',
  ),
});

const staffSchema = z.object({
  /**
   * Cognito's Plus feature plan with threat protection enforced (risk-based sign-in challenges, blocking
   * compromised passwords). Priced per monthly active user; off: the Essentials plan.
   */
  threatProtection: z._default(z.boolean(), false),
});

const staffConsoleSchema = z
  .object({
    /**
     * Where staff sign in (Cognito managed login): `https://<prefix>.auth.<region>.amazoncognito.com`. Unique
     * per region across all AWS accounts; default `consent-desk-<account id>`.
     */
    signInDomainPrefix: z.optional(
      z.string().check(
        z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and -'),
        z.refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'Cognito refuses aws, amazon and cognito'),
      ),
    ),
    /** Or your own sign-in domain, with its ACM certificate (which Cognito needs in us-east-1). */
    signInDomain: z.optional(
      z.object({
        domainName: z.string().check(z.regex(/^(?!-)[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+$/, 'a host name')),
        certificateArn: z
          .string()
          .check(
            z.regex(
              /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/,
              'an ACM certificate in us-east-1',
            ),
          ),
      }),
    ),
  })
  .check(
    z.refine(
      (value) => !(value.signInDomainPrefix && value.signInDomain),
      'give signInDomainPrefix or signInDomain, not both',
    ),
  );
export type StaffConsoleConfig = z.infer<typeof staffConsoleSchema>;

/** The whole file: the runtime part plus what only the infrastructure reads. */
export const appConfigSchema = z.extend(runtimeConfigSchema, {
  waf: z._default(wafSchema, () => z.parse(wafSchema, {})),
  deletionProtection: z._default(z.boolean(), true),
  logRetentionDays: z._default(positiveInt, 30),
  /** The audience kept in step with the table; absent: nothing is synced to MailChimp. */
  mailchimp: z.optional(mailchimpSchema),
  /** Staff sign-in (the Cognito user pool of the staff API). */
  staff: z._default(staffSchema, () => z.parse(staffSchema, {})),
  /** Where CloudWatch alarms are sent: `email` is subscribed to the alarm topic (it must confirm once). */
  alarms: z.optional(z.object({ email: z.optional(email) })),
  /** The staff console on CloudFront and its sign-in domain. */
  console: z._default(staffConsoleSchema, {}),
});
export type AppConfig = z.infer<typeof appConfigSchema>;

function checkCrossReferences(config: z.infer<typeof runtimeConfigSchema>, ctx: z.core.$RefinementCtx): void {
  const topicIds = new Set(config.topics.map((topic) => topic.id));
  const formIds = new Set<string>();
  config.forms.forEach((form, index) => {
    const path = ['forms', index];
    if (formIds.has(form.id))
      ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: 'duplicate form id' });
    formIds.add(form.id);
    for (const field of form.required) {
      if (!form.keep.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'required'],
          message: `${field} is required but not kept`,
        });
      }
    }
    if (form.acknowledge && !form.keep.includes('email')) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'acknowledge'],
        message: 'acknowledging needs email kept',
      });
    }
    if (form.marketing.mode !== 'none') {
      if (!form.keep.includes('email')) {
        ctx.addIssue({ code: 'custom', path: [...path, 'keep'], message: 'marketing forms must keep email' });
      }
      for (const topic of form.marketing.topics) {
        if (!topicIds.has(topic)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'marketing', 'topics'],
            message: `unknown topic ${topic}`,
          });
        }
      }
      const versions = [form.marketing.statement, ...form.marketing.previousStatements].map((s) => s.version);
      if (new Set(versions).size !== versions.length) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'marketing'],
          message: 'statement versions must be unique',
        });
      }
    }
    // Redirect targets come only from config and only to our own sites: no open redirect.
    if (form.successUrl && !config.allowedOrigins.includes(new URL(form.successUrl).origin)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'successUrl'],
        message: 'origin is not in allowedOrigins',
      });
    }
  });
  checkKeptUntilWithdrawn(config, ctx);
  for (const topic of config.mailchimpSignupTopics ?? []) {
    if (!topicIds.has(topic)) {
      ctx.addIssue({ code: 'custom', path: ['mailchimpSignupTopics'], message: `unknown topic ${topic}` });
    }
  }
}

/** Whether any form, the enquiry forms or the people-facing ones, asks for a Turnstile token. */
export function usesTurnstile(config: RuntimeConfig): boolean {
  return config.forms.some((form) => form.turnstile) || config.peoplePages.turnstile;
}

/**
 * Permissions kept until withdrawn must still be refreshed: the ICO expects consent to be kept under
 * review and refreshed at appropriate intervals, so an open-ended permission needs re-permission emails
 * or a periodic review of the contacts.
 */
function checkKeptUntilWithdrawn(
  config: z.infer<typeof runtimeConfigSchema>,
  ctx: z.core.$RefinementCtx,
): void {
  const { keepUntilWithdrawn, reviewMonths } = config.retention;
  if (keepUntilWithdrawn.length === 0 || reviewMonths !== undefined || config.marketing.repermission) return;
  ctx.addIssue({
    code: 'custom',
    path: ['retention', 'keepUntilWithdrawn'],
    message:
      'keeping marketing permission until withdrawn needs marketing.repermission or retention.reviewMonths: ' +
      'the ICO expects consent to be kept under review and refreshed at appropriate intervals',
  });
}

/** Parses a config object, throwing one readable error listing every problem. */
export function parseAppConfig(input: unknown): AppConfig {
  const result = z.safeParse(appConfigSchema, input);
  if (!result.success) throw new Error(`Invalid Consent Desk config:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export function parseRuntimeConfig(input: unknown): RuntimeConfig {
  const result = z.safeParse(runtimeConfigSchema, input);
  if (!result.success)
    throw new Error(`Invalid Consent Desk runtime config:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** The subset of the file the functions receive. */
export function toRuntimeConfig(config: AppConfig): RuntimeConfig {
  const {
    waf: _waf,
    deletionProtection: _protection,
    logRetentionDays: _days,
    mailchimp: _mailchimp,
    staff: _staff,
    alarms: _alarms,
    console: _console,
    ...runtime
  } = config;
  return runtime;
}
