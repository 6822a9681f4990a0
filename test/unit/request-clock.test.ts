import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acknowledgeByDate,
  addCalendarMonths,
  daysLeft,
  extendedDueDate,
  isCalendarDate,
  isPastDue,
  isWorkingDay,
  responseDueDate,
  ukDate,
} from '../../shared/domain/request-clock.ts';

const ENGLAND_2027 = new Set([
  '2027-01-01',
  '2027-03-26',
  '2027-03-29',
  '2027-05-03',
  '2027-05-31',
  '2027-08-30',
  '2027-12-27',
  '2027-12-28',
]);
const rules = { bankHolidays: ENGLAND_2027 };
const none = { bankHolidays: new Set<string>() };

describe('calendar months as the ICO counts them', () => {
  it('keeps the day of the month, or takes the month’s last day', () => {
    expect(addCalendarMonths('2027-01-15', 1)).toBe('2027-02-15');
    expect(addCalendarMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addCalendarMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addCalendarMonths('2027-03-31', 1)).toBe('2027-04-30');
    expect(addCalendarMonths('2027-12-31', 1)).toBe('2028-01-31');
    expect(addCalendarMonths('2027-11-30', 3)).toBe('2028-02-29');
    expect(addCalendarMonths('2100-01-29', 1)).toBe('2100-02-28');
  });

  it('refuses what is not a calendar date', () => {
    expect(isCalendarDate('2027-02-29')).toBe(false);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(() => addCalendarMonths('2027-13-01', 1)).toThrow(RangeError);
  });

  it('is the same day or the month end, for any date and any number of months', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1990-01-01'), max: new Date('2200-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 36 }),
        (instant, months) => {
          const from = instant.toISOString().slice(0, 10);
          const to = addCalendarMonths(from, months);
          const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
          const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
          expect((ty - fy) * 12 + (tm - fm)).toBe(months);
          const lastDay = new Date(Date.UTC(ty, tm, 0)).getUTCDate();
          expect(td).toBe(Math.min(fd, lastDay));
        },
      ),
    );
  });
});

describe('the response deadline', () => {
  it('is one calendar month from the clock start', () => {
    expect(responseDueDate(new Date('2027-06-09T10:00:00Z'), rules)).toBe('2027-07-09');
  });

  it('moves a due date on a weekend or bank holiday to the next working day', () => {
    // 2027-02-28 is a Sunday.
    expect(responseDueDate(new Date('2027-01-31T10:00:00Z'), rules)).toBe('2027-03-01');
    // 2027-05-03 is the early May bank holiday (a Monday), after a weekend.
    expect(responseDueDate(new Date('2027-04-01T10:00:00Z'), rules)).toBe('2027-05-04');
    // Christmas 2027: Saturday 25th and Sunday 26th, substitute days on 27th and 28th.
    expect(responseDueDate(new Date('2027-11-25T10:00:00Z'), rules)).toBe('2027-12-29');
    expect(responseDueDate(new Date('2027-11-25T10:00:00Z'), none)).toBe('2027-12-27');
  });

  it('counts the day the request arrived in the UK, not in UTC', () => {
    // 00:30 on 1 April in London (BST) is still 31 March in UTC.
    const received = new Date('2027-03-31T23:30:00Z');
    expect(ukDate(received)).toBe('2027-04-01');
    expect(responseDueDate(received, none)).toBe('2027-05-03');
  });

  it('starts from verification when identity is confirmed later', () => {
    const received = new Date('2027-01-10T09:00:00Z');
    const verified = new Date('2027-01-20T09:00:00Z');
    expect(responseDueDate(received, rules)).toBe('2027-02-10');
    expect(responseDueDate(verified, rules)).toBe('2027-02-22');
  });

  it('extends to three months from the clock start', () => {
    expect(extendedDueDate(new Date('2027-11-30T09:00:00Z'), rules)).toBe('2028-02-29');
    expect(extendedDueDate(new Date('2027-01-31T09:00:00Z'), rules)).toBe('2027-04-30');
  });

  it('is always a working day, never earlier than a month and at most a few days later', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2027-01-01'), max: new Date('2027-10-31'), noInvalidDate: true }),
        (start) => {
          const due = responseDueDate(start, rules);
          const month = addCalendarMonths(ukDate(start), 1);
          expect(isWorkingDay(due, ENGLAND_2027)).toBe(true);
          expect(due >= month).toBe(true);
          expect(daysLeft(due, new Date(`${month}T12:00:00Z`))).toBeLessThanOrEqual(4);
          expect(extendedDueDate(start, rules) > due).toBe(true);
        },
      ),
    );
  });
});

describe('complaints and overdue requests', () => {
  it('acknowledges a complaint within 30 days', () => {
    expect(acknowledgeByDate(new Date('2027-02-10T12:00:00Z'))).toBe('2027-03-12');
  });

  it('is overdue only once the due day has ended in the UK', () => {
    expect(isPastDue('2027-07-09', new Date('2027-07-09T22:59:59Z'))).toBe(false);
    expect(isPastDue('2027-07-09', new Date('2027-07-09T23:00:00Z'))).toBe(true);
    expect(daysLeft('2027-07-09', new Date('2027-07-01T12:00:00Z'))).toBe(8);
    expect(daysLeft('2027-07-09', new Date('2027-07-11T12:00:00Z'))).toBe(-2);
  });
});
