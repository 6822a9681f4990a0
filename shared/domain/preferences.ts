/** What the preference centre shows for each topic: its current status for the link holder. */
import type { TopicStatus } from './consent.ts';

export interface TopicChoice {
  readonly id: string;
  readonly label: string;
  readonly status: TopicStatus;
  /** Granted after this link was sent: managed from a newer email. */
  readonly newerThanLink: boolean;
}
