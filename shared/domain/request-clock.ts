/**
 * The legal clock of a subject request, in UK calendar dates: one calendar month from the day the clock
 * starts (receipt, or the day identity was confirmed), extendable once to three months, moved off weekends
 * and bank holidays; complaints are acknowledged within 30 days. Pure: the caller passes the holidays.
 */

/** A calendar date in the UK, `YYYY-MM-DD`. Deadlines are days, not instants. */
export type CalendarDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const londonDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The day an instant falls on in the UK: a request sent at 00:30 BST on 1 April was received on 1 April. */
export function ukDate(instant: Date): CalendarDate {
  return londonDay.format(instant);
}

export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function parts(date: CalendarDate): { year: number; month: number; day: number } {
  const match = DATE_PATTERN.exec(date);
  if (!match || !isCalendarDate(date)) throw new RangeError('Not a calendar date (YYYY-MM-DD)');
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

function format(utc: Date): CalendarDate {
  return utc.toISOString().slice(0, 10);
}

/**
 * The corresponding day `months` later, or that month's last day when it has no such day
 * (31 January + 1 month = 28 or 29 February), as the ICO counts a month.
 */
export function addCalendarMonths(date: CalendarDate, months: number): CalendarDate {
  const { year, month, day } = parts(date);
  const lastDay = new Date(Date.UTC(year, month - 1 + months + 1, 0)).getUTCDate();
  return format(new Date(Date.UTC(year, month - 1 + months, Math.min(day, lastDay))));
}

export function addCalendarDays(date: CalendarDate, days: number): CalendarDate {
  const { year, month, day } = parts(date);
  return format(new Date(Date.UTC(year, month - 1, day + days)));
}

export function isWorkingDay(date: CalendarDate, bankHolidays: ReadonlySet<CalendarDate>): boolean {
  const { year, month, day } = parts(date);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !bankHolidays.has(date);
}

/** The date itself when it is a working day, else the next one. */
export function nextWorkingDay(date: CalendarDate, bankHolidays: ReadonlySet<CalendarDate>): CalendarDate {
  let candidate = date;
  // A year holds far fewer than 30 consecutive non-working days; the bound only guards bad input.
  for (let step = 0; step < 30 && !isWorkingDay(candidate, bankHolidays); step += 1) {
    candidate = addCalendarDays(candidate, 1);
  }
  return candidate;
}

export interface RequestClockRules {
  /** Bank holidays in the UK nation whose law applies, `YYYY-MM-DD`. */
  readonly bankHolidays: ReadonlySet<CalendarDate>;
}

/** One calendar month from the clock's start, on a working day. */
export function responseDueDate(clockStartedAt: Date, rules: RequestClockRules): CalendarDate {
  return nextWorkingDay(addCalendarMonths(ukDate(clockStartedAt), 1), rules.bankHolidays);
}

/** The once-only extension for complex or numerous requests: three months from the clock's start. */
export function extendedDueDate(clockStartedAt: Date, rules: RequestClockRules): CalendarDate {
  return nextWorkingDay(addCalendarMonths(ukDate(clockStartedAt), 3), rules.bankHolidays);
}

/** A complaint is acknowledged within 30 days of receipt. */
export function acknowledgeByDate(receivedAt: Date): CalendarDate {
  return addCalendarDays(ukDate(receivedAt), 30);
}

/** Past due once the due day has ended in the UK. */
export function isPastDue(due: CalendarDate, now: Date): boolean {
  return ukDate(now) > due;
}

/** Whole days from today (UK) to the due day: 0 on the day, negative once overdue. */
export function daysLeft(due: CalendarDate, now: Date): number {
  const today = parts(ukDate(now));
  const until = parts(due);
  return Math.round(
    (Date.UTC(until.year, until.month - 1, until.day) - Date.UTC(today.year, today.month - 1, today.day)) /
      86_400_000,
  );
}
