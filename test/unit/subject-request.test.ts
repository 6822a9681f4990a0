import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actOnRequest,
  FINISHED,
  isOverdue,
  type RequestAction,
  type RequestType,
  receiveRequest,
  registerDate,
  type SubjectRequest,
} from '../../shared/domain/subject-request.ts';

const rules = { bankHolidays: new Set<string>() };
const received = new Date('2027-01-10T09:00:00Z');

function request(type: RequestType, identity: 'verified' | 'unverified' = 'verified') {
  const verifiedBy = identity === 'verified' ? 'email reply from the held address' : undefined;
  return receiveRequest(
    { id: 'r1', type, channel: 'email', receivedAt: received, verifiedBy, actor: 'pat' },
    new Date('2027-01-11T09:00:00Z'),
    rules,
  );
}

function act(subject: SubjectRequest, action: RequestAction, at = '2027-01-20T09:00:00Z') {
  const result = actOnRequest(subject, action, 'pat', new Date(at), rules);
  if (!result.ok) throw new Error(`refused: ${result.why}`);
  return result.request;
}

describe('receiving a request', () => {
  it('starts the clock at receipt when staff confirmed identity', () => {
    const access = request('access');
    expect(access).toMatchObject({
      status: 'in_progress',
      clockStartedAt: received.toISOString(),
      dueAt: '2027-02-10',
      acknowledgeBy: null,
    });
    expect(access.log.map((entry) => entry.kind)).toEqual(['received', 'verified']);
  });

  it('waits with no clock while the person confirms by link', () => {
    const erasure = request('erasure', 'unverified');
    expect(erasure).toMatchObject({ status: 'awaiting_verification', clockStartedAt: null, dueAt: null });
    expect(erasure.log.map((entry) => entry.kind)).toEqual(['received', 'verification_sent']);
  });

  it('opens a complaint with its acknowledgement date and no identity check', () => {
    expect(request('complaint', 'unverified')).toMatchObject({
      status: 'open',
      acknowledgeBy: '2027-02-09',
      dueAt: null,
    });
  });
});

describe('acting on a request', () => {
  it('starts the clock when identity is verified later', () => {
    const verified = act(request('access', 'unverified'), { kind: 'verify', method: 'link' });
    expect(verified).toMatchObject({
      status: 'in_progress',
      clockStartedAt: '2027-01-20T09:00:00.000Z',
      dueAt: '2027-02-22',
      version: 2,
    });
  });

  it('extends once, before the first due date, to three months from the clock start', () => {
    const extended = act(request('access'), { kind: 'extend', reason: 'complex' });
    expect(extended).toMatchObject({ extended: true, dueAt: '2027-04-12' });
    expect(actOnRequest(extended, { kind: 'extend', reason: 'again' }, 'pat', new Date(), rules)).toEqual({
      ok: false,
      why: 'already_extended',
    });
    const late = actOnRequest(
      request('access'),
      { kind: 'extend', reason: 'late' },
      'pat',
      new Date('2027-02-11T09:00:00Z'),
      rules,
    );
    expect(late).toEqual({ ok: false, why: 'extension_after_due_date' });
    expect(
      actOnRequest(request('erasure', 'unverified'), { kind: 'extend', reason: 'x' }, 'pat', received, rules),
    ).toEqual({ ok: false, why: 'no_clock' });
  });

  it('closes complaints with an outcome and refuses other requests with a reason', () => {
    expect(act(request('complaint'), { kind: 'close', outcome: 'upheld' }).status).toBe('closed');
    expect(act(request('erasure'), { kind: 'refuse', reason: 'excessive' }).status).toBe('refused');
    expect(actOnRequest(request('access'), { kind: 'close', outcome: 'x' }, 'pat', received, rules)).toEqual({
      ok: false,
      why: 'not_a_complaint',
    });
  });

  it('accepts no action on a finished request', () => {
    const actions: RequestAction[] = [
      { kind: 'verify', method: 'link' },
      { kind: 'carried_out', summary: 'done' },
      { kind: 'extend', reason: 'x' },
      { kind: 'refuse', reason: 'other' },
      { kind: 'close', outcome: 'x' },
      { kind: 'cancel' },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom<RequestType>('access', 'erasure', 'complaint'),
        fc.array(fc.constantFrom(...actions), { maxLength: 6 }),
        (type, steps) => {
          let current = request(type, 'unverified');
          for (const step of steps) {
            const result = actOnRequest(current, step, 'pat', new Date('2027-01-15T09:00:00Z'), rules);
            if (FINISHED.has(current.status)) expect(result).toEqual({ ok: false, why: 'finished' });
            if (result.ok) {
              expect(result.request.version).toBe(current.version + 1);
              expect(result.request.log.length).toBe(current.log.length + 1);
              current = result.request;
            }
          }
        },
      ),
    );
  });
});

describe('the register', () => {
  it('marks unfinished requests overdue after their due date, complaints after their acknowledgement date', () => {
    expect(isOverdue(request('access'), new Date('2027-02-10T12:00:00Z'))).toBe(false);
    expect(isOverdue(request('access'), new Date('2027-02-11T12:00:00Z'))).toBe(true);
    expect(isOverdue(request('complaint'), new Date('2027-02-10T12:00:00Z'))).toBe(true);
    const done = act(request('access'), { kind: 'carried_out', summary: 'bundle ready' });
    expect(isOverdue(done, new Date('2028-01-01T00:00:00Z'))).toBe(false);
    expect(registerDate(request('erasure', 'unverified'))).toBeNull();
  });
});
