/**
 * The staff console offers on an opened request only the actions the register's state machine would take,
 * plus "try again" (verify) for a verified request whose carrying out failed.
 */
import { describe, expect, it } from 'vitest';
import { actionsFor } from '../../console/src/allowed-actions.ts';
import {
  actOnRequest,
  type RequestAction,
  type RequestType,
  receiveRequest,
  type SubjectRequest,
} from '../../shared/domain/subject-request.ts';

const rules = { bankHolidays: new Set<string>() };
const received = new Date('2027-01-10T09:00:00Z');
const soon = new Date('2027-01-20T09:00:00Z');

function request(type: RequestType, verifiedBy: string | undefined): SubjectRequest {
  return receiveRequest(
    { id: 'r1', type, channel: 'email', receivedAt: received, verifiedBy, actor: 'pat' },
    received,
    rules,
  );
}

function act(subject: SubjectRequest, action: RequestAction): SubjectRequest {
  const result = actOnRequest(subject, action, 'pat', soon, rules);
  if (!result.ok) throw new Error(result.why);
  return result.request;
}

describe('the actions the console offers on a request', () => {
  it('waiting for the person: confirm identity, refuse or cancel (no clock to extend)', () => {
    expect(actionsFor(request('access', undefined), soon)).toEqual(['verify', 'refuse', 'cancel']);
  });

  it('verified but not carried out: try again, extend, refuse or cancel', () => {
    expect(actionsFor(request('erasure', 'phone call-back'), soon)).toEqual([
      'verify',
      'extend',
      'refuse',
      'cancel',
    ]);
  });

  it('extended once: no second extension', () => {
    const extended = act(request('access', 'reply'), { kind: 'extend', reason: 'many requests' });
    expect(actionsFor(extended, soon)).toEqual(['verify', 'refuse', 'cancel']);
  });

  it('past the first due date: no extension any more', () => {
    expect(actionsFor(request('access', 'reply'), new Date('2027-03-01T09:00:00Z'))).not.toContain('extend');
  });

  it('an open complaint: close or cancel, never extend or refuse', () => {
    expect(actionsFor(request('complaint', undefined), soon)).toEqual(['close', 'cancel']);
  });

  it('finished: nothing', () => {
    const done = act(request('access', 'reply'), { kind: 'carried_out', summary: 'bundle prepared' });
    expect(actionsFor(done, soon)).toEqual([]);
    expect(actionsFor(act(request('complaint', undefined), { kind: 'close', outcome: 'x' }), soon)).toEqual(
      [],
    );
  });
});
