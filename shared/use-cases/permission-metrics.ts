/**
 * What a landed contact change adds to the product's metrics: each consent event, permissions granted and
 * withdrawn by lawful basis and source, and unsubscribes (a new withdrawal from everything). Counted once
 * the write has landed, so a change retried after a conflict counts once. Labels only, never personal data.
 */
import { ALL_TOPICS, type ConsentEventType, type MailableStatus } from '../domain/consent.ts';
import { countMetric } from '../log.ts';
import type { ContactWrite } from '../ports/contacts-store.ts';

const GRANTED_BASIS: Partial<Record<ConsentEventType, MailableStatus>> = {
  consent_given: 'consent',
  consent_confirmed: 'consent',
  soft_opt_in_granted: 'soft_opt_in',
};

/** What a withdrawal took away: a live permission, or a consent still waiting for its confirmation. */
const WITHDRAWN_BASES: ReadonlySet<string> = new Set(['consent', 'soft_opt_in', 'pending']);

export function countPermissionChanges({ change, snapshot, source }: ContactWrite): void {
  for (const event of change.events) {
    countMetric('PermissionsChanged', 1, { event: event.type, source: event.source });
    const basis = GRANTED_BASIS[event.type];
    if (basis) countMetric('PermissionsGranted', 1, { basis, source: event.source });
    if (event.type !== 'withdrawn') continue;
    const held =
      event.topic === ALL_TOPICS
        ? [...snapshot.topics.values()]
        : [snapshot.topics.get(event.topic)].filter((topic) => topic !== undefined);
    for (const topic of held) {
      if (WITHDRAWN_BASES.has(topic.status))
        countMetric('PermissionsWithdrawn', 1, { basis: topic.status, source: event.source });
    }
  }
  if (change.suppression?.all && !snapshot.suppression?.all) countMetric('Unsubscribes', 1, { source });
}
