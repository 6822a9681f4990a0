/**
 * Which staff actions an opened request offers: those the register's own state machine would take now,
 * found by trying each, plus "try again" (verify) for a verified request whose carrying out failed.
 */
import {
  actOnRequest,
  type RequestAction,
  type SubjectRequest,
} from '../../shared/domain/subject-request.ts';
import type { StaffAction } from './api.ts';

/** A probe of each staff action through the register's state machine: only those it would take are offered. */
const PROBES: readonly RequestAction[] = [
  { kind: 'verify', method: 'probe' },
  { kind: 'extend', reason: 'probe' },
  { kind: 'refuse', reason: 'other' },
  { kind: 'close', outcome: 'probe' },
  { kind: 'cancel' },
];

export function actionsFor(request: SubjectRequest, now: Date = new Date()): StaffAction[] {
  // Bank holidays only move a new due date; whether an action is allowed does not depend on them.
  const rules = { bankHolidays: new Set<string>() };
  return PROBES.filter(
    (probe) =>
      actOnRequest(request, probe, 'staff', now, rules).ok ||
      // Identity confirmed but not carried out (a failed attempt): verify tries again.
      (probe.kind === 'verify' && request.status === 'in_progress'),
  ).map((probe) => probe.kind as StaffAction);
}
