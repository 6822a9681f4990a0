/**
 * Renders docs/consent-model.md from the consent state machine, so the documented rules are the rules the
 * code applies. A unit test compares the file with this output.
 */
import {
  ALL_TOPICS,
  apply,
  type ConsentEventType,
  EVENT_TYPES,
  type EventSource,
  isMailable,
  NO_SUPPRESSION,
  type Outcome,
  outcomeOf,
  TOPIC_STATUSES,
  type TopicStatus,
  TRANSITIONS,
} from './consent.ts';
import { DEFAULT_RETENTION } from './settings.ts';

const REGENERATE =
  'npx tsx -e "import(\'./shared/domain/consent-model-doc.ts\').then(m => process.stdout.write(m.renderConsentModel()))" > docs/consent-model.md';

// Records keyed by the union types, so a new status, event type or source cannot go undocumented.
const STATUS_MEANINGS: Readonly<Record<TopicStatus, string>> = {
  none: 'nothing recorded for the topic',
  pending: 'double opt-in asked, not yet confirmed',
  consent: 'express consent',
  soft_opt_in: 'PECR reg 22 soft opt-in',
  withdrawn: 'withdrawn or refused; kept so no soft opt-in follows',
};

const EVENT_MEANINGS: Readonly<Record<ConsentEventType, string>> = {
  consent_requested: 'a consent form with double opt-in was ticked: confirmation still needed',
  consent_confirmed: 'the confirmation link was used',
  consent_given: 'a positive, express action: a ticked box, a topic switched on in the preference centre',
  soft_opt_in_granted: 'a sale or negotiation, with the opt-out offered and not taken',
  withdrawn: 'an unsubscribe, a topic switched off, an objection, or the opt-out taken at collection',
};

const SOURCES: Readonly<Record<EventSource, true>> = {
  form: true,
  link: true,
  preference_centre: true,
  staff: true,
  mailchimp: true,
  import: true,
};

const code = (text: string) => `\`${text}\``;
/** `a`, `a and b`, `a, b and c` (or `or`). */
function list(items: readonly string[], conjunction = 'and'): string {
  const coded = items.map(code);
  const last = coded.pop();
  return coded.length > 0 ? `${coded.join(', ')} ${conjunction} ${last}` : (last ?? '');
}
const WIDTH = 110;

/** Joins sentences into one paragraph wrapped like the other docs. */
function paragraph(...sentences: string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of sentences.join(' ').split(' ')) {
    if (line && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line, ''];
}

const cell = (text: string) => text.replaceAll('|', '\\|');

function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'unchanged') return `no change: ${outcome.why}`;
  if (outcome.kind === 'refused') return `refused: ${outcome.why}`;
  const effects = [
    ...(outcome.liftsSuppression ? ['lifts suppression'] : []),
    ...(outcome.suppresses ? ['suppresses the topic'] : []),
  ];
  return `→ ${outcome.to}${effects.length > 0 ? ` (${effects.join(', ')})` : ''}`;
}

function table(outcome: (status: TopicStatus, type: ConsentEventType) => Outcome): string[] {
  return [
    `| status \\ event | ${EVENT_TYPES.map(code).join(' | ')} |`,
    `|---|${EVENT_TYPES.map(() => '---').join('|')}|`,
    ...TOPIC_STATUSES.map(
      (status) =>
        `| ${code(status)} | ${EVENT_TYPES.map((type) => cell(describeOutcome(outcome(status, type)))).join(' | ')} |`,
    ),
  ];
}

/** Event types for which `test` holds in at least one status. */
function typesWhere(test: (status: TopicStatus, type: ConsentEventType) => boolean): ConsentEventType[] {
  return EVENT_TYPES.filter((type) => TOPIC_STATUSES.some((status) => test(status, type)));
}

const changedBySuppression = (status: TopicStatus, type: ConsentEventType) =>
  outcomeOf(status, type, true).kind !== outcomeOf(status, type, false).kind;

/** The statuses a withdrawal from everything moves, found by applying one to a topic in every status. */
function statusesWithdrawnFromEverything(): TopicStatus[] {
  const probe = new Map<string, TopicStatus>(TOPIC_STATUSES.map((status) => [status, status]));
  const after = apply(
    { topics: probe, suppression: NO_SUPPRESSION },
    { type: 'withdrawn', topic: ALL_TOPICS },
    [...TOPIC_STATUSES],
  );
  return TOPIC_STATUSES.filter((status) => after?.topics.get(status) !== status);
}

export function renderConsentModel(): string {
  const retention = DEFAULT_RETENTION;
  const lifting = typesWhere((status, type) => {
    const outcome = TRANSITIONS[status][type];
    return outcome.kind === 'moves' && outcome.liftsSuppression;
  });
  const suppressing = typesWhere((status, type) => {
    const outcome = TRANSITIONS[status][type];
    return outcome.kind === 'moves' && outcome.suppresses;
  });
  const refusedWhenSuppressed = typesWhere(
    (status, type) => changedBySuppression(status, type) && outcomeOf(status, type, true).kind === 'refused',
  );
  const acceptedWhenSuppressed = typesWhere((status, type) => {
    const outcome = outcomeOf(status, type, true);
    return outcome.kind === 'moves' && !outcome.liftsSuppression && !outcome.suppresses;
  });

  return [
    '# Consent model',
    '',
    ...paragraph(
      'Generated from `shared/domain/consent.ts` by `renderConsentModel()`',
      '(`shared/domain/consent-model-doc.ts`); `test/unit/consent-model.test.ts` fails when they differ.',
      'Regenerate with:',
    ),
    '```sh',
    REGENERATE,
    '```',
    '',
    ...paragraph(
      'Per contact and per topic a permission has one status. Per address a suppression entry lists the topics',
      '(or `all`) that must never be re-granted except by a fresh express consent.',
    ),
    '## States',
    '',
    '| status | meaning | mailable |',
    '|---|---|---|',
    ...TOPIC_STATUSES.map(
      (status) => `| ${code(status)} | ${STATUS_MEANINGS[status]} | ${isMailable(status) ? 'yes' : 'no'} |`,
    ),
    '',
    ...paragraph(
      `Only ${list(TOPIC_STATUSES.filter(isMailable))} are mailable, and only while unexpired: they alone`,
      'are in the per-topic list index.',
    ),
    '## Events',
    '',
    '| event | meaning |',
    '|---|---|',
    ...EVENT_TYPES.map((type) => `| ${code(type)} | ${EVENT_MEANINGS[type]} |`),
    '',
    '## Transitions',
    '',
    ...paragraph(
      'Rows are the current status of a topic that is not suppressed, columns the event. A refused or',
      'unchanged cell records no event (a soft opt-in on a `consent` topic still renews its expiry).',
    ),
    ...table((status, type) => TRANSITIONS[status][type]),
    '',
    '## Suppression',
    '',
    ...paragraph(
      `Every ${list(suppressing, 'or')} event adds the topic to the address's suppression entry.`,
      `On a suppressed topic only express consent (${list(lifting, 'or')}) lifts the suppression, and its event`,
      `records \`liftedSuppression: true\`. ${list(refusedWhenSuppressed, 'or')} is refused;`,
      `${list(acceptedWhenSuppressed, 'or')} is accepted but leaves the suppression in place.`,
      'Lifting one topic out of `all` keeps every other configured topic suppressed.',
      'The same table for a suppressed topic:',
    ),
    ...table((status, type) => outcomeOf(status, type, true)),
    '',
    '## Withdrawing from everything',
    '',
    ...paragraph(
      `A \`withdrawn\` event for the topic ${code(ALL_TOPICS)} moves every topic that is`,
      `${list(statusesWithdrawnFromEverything(), 'or')} to \`withdrawn\` and sets the suppression to \`all\`,`,
      'which also covers topics the contact never had and topics added later. It is recorded as one event.',
      'Repeated when nothing is live and the suppression is already `all`, it changes nothing and records',
      `nothing. No other event type takes ${code(ALL_TOPICS)}.`,
    ),
    '## Record of consent',
    '',
    ...paragraph(
      'Every accepted transition records exactly one append-only event; a withdrawal from everything is',
      'one event however many topics it moves. An event holds:',
    ),
    '- `at`, `eventId`, the event type and the topic;',
    `- \`source\` (${list(Object.keys(SOURCES), 'or')}) and \`actor\`, who acted;`,
    '- `formId`, `page` (origin and path) and `method` when a form was used;',
    '- the statement version and its SHA-256 hash when granting: what the person was told;',
    '- `reason` when withdrawing;',
    '- `liftedSuppression`;',
    '- `epoch`: the contact epoch the event was written at.',
    '',
    ...paragraph(
      "A contact's statuses and suppression are what replaying its events (`replay`) gives, starting from",
      'the suppression the address had when the contact was first written: a refusal from an address we',
      'hold nothing on writes only the suppression entry.',
    ),
    '## Epochs and links',
    '',
    ...paragraph(
      'Every change that grants something raises the contact epoch by one. A permission keeps the epoch it',
      'was last granted at; a withdrawal leaves it as it was. A link in an email carries the contact epoch',
      'it was sent at and acts only on permissions granted at or before it, so an old link cannot undo a',
      'newer consent.',
    ),
    '## Retention',
    '',
    ...paragraph(
      'Defaults, configurable under `retention`. DynamoDB deletes expired items days late, so every read',
      'treats an expired item as gone.',
    ),
    '| item | kept |',
    '|---|---|',
    `| \`pending\` permission | ${retention.pendingDays} days after the request |`,
    `| \`soft_opt_in\` permission | ${retention.softOptInMonths} months after it was granted |`,
    `| \`consent\` permission | ${retention.consentMonths} months after it was granted; a later soft opt-in renews it |`,
    '| `withdrawn` permission | as long as the contact |',
    `| contact | until its last live permission expires; ${retention.withdrawnDays} days once none is live |`,
    `| consent event | ${retention.consentRecordMonths} months after the event |`,
    '| suppression entry | never: it holds only a keyed hash of the address |',
    '',
    ...paragraph(
      '`retention.keepUntilWithdrawn` (`consent`, `soft_opt_in` or both) keeps those permissions until the',
      'person withdraws: they get no TTL expiry (their `expiresAt` is the last second of 9999, which DynamoDB',
      'never reaches), nor does their contact while one is live. The config refuses it without',
      '`marketing.repermission` or `retention.reviewMonths`: the ICO expects consent to be kept under review',
      'and refreshed. Once withdrawn, the contact is kept for `withdrawnDays` as usual.',
    ),
    '',
  ].join('\n');
}
