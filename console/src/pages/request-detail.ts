/**
 * One request from the register: its dates, what was asked, its log, what it came to (receipt, export),
 * and only the actions its state allows: the register's own state machine says which.
 */
import { daysLeft } from '../../../shared/domain/request-clock.ts';
import { registerDate } from '../../../shared/domain/subject-request.ts';
import { actionsFor } from '../allowed-actions.ts';
import { calendarDate, dateTime, h, linkButton, notificationBanner, summaryList, table } from '../dom.ts';
import { failureSummary } from '../forms.ts';
import type { PageContext } from '../pages.ts';
import { CHANNEL_LABELS, STATUS_LABELS, TYPE_LABELS } from '../request-fields.ts';
import { requestResult } from '../request-result.ts';
import type { RequestDetail } from '../rights-types.ts';
import { actionForm } from './request-actions.ts';

export function requestDetail(context: PageContext, requestId: string, back: () => void): HTMLElement {
  const box = h('div', {}, h('p', {}, 'Loading…'));
  const draw = (request: RequestDetail, news?: string) => {
    box.replaceChildren(
      ...requestView(context, request, news, draw),
      h('p', {}, linkButton('Back to the register', back)),
    );
    box.querySelector<HTMLElement>(news ? '.govuk-notification-banner' : 'h2')?.focus();
  };
  context.api.readRequest(requestId).then(
    (request) => draw(request),
    (error: unknown) =>
      box.replaceChildren(failureSummary(error), h('p', {}, linkButton('Back to the register', back))),
  );
  return box;
}

function requestView(
  context: PageContext,
  request: RequestDetail,
  news: string | undefined,
  redraw: (request: RequestDetail, news?: string) => void,
): HTMLElement[] {
  const due = registerDate(request);
  const banner = news ? notificationBanner('Done', h('p', {}, news)) : null;
  banner?.setAttribute('tabindex', '-1');
  return [
    ...(banner ? [banner] : []),
    h('h2', { tabindex: '-1' }, `${TYPE_LABELS[request.type].split(':')[0]} request`),
    summaryList([
      ['Reference', h('code', { class: 'reference' }, request.id)],
      ['Status', `${STATUS_LABELS[request.status]}${request.overdue ? ' (overdue)' : ''}`],
      ['Came in by', CHANNEL_LABELS[request.channel]],
      ['Received', dateTime(request.receivedAt)],
      [
        'Clock started',
        request.clockStartedAt ? dateTime(request.clockStartedAt) : 'Not yet: identity not confirmed',
      ],
      [
        request.type === 'complaint' ? 'Acknowledge by' : 'Due',
        due
          ? `${calendarDate(due)}${request.extended ? ' (extended)' : ''}${request.finishedAt ? '' : ` · ${daysText(daysLeft(due, new Date()))}`}`
          : 'None yet',
      ],
      ['Email address', request.email ?? 'Not kept (erased, or never given)'],
      ...askedFor(request),
      ...(request.finishedAt ? [['Finished', dateTime(request.finishedAt)] as [string, string]] : []),
    ]),
    table(
      'Log: what happened, oldest first',
      [
        { header: 'When', cell: (row) => dateTime(row.at) },
        { header: 'What', cell: (row) => row.kind.replace(/_/g, ' ') },
        { header: 'Who', cell: (row) => row.actor },
        { header: 'Note', cell: (row) => row.note ?? '' },
      ],
      request.log,
    ),
    ...requestResult(context.api, request),
    ...actionsFor(request).map((kind) =>
      actionForm(context, request, kind, (next, done) => redraw(next, done)),
    ),
  ];
}

function askedFor(request: RequestDetail): [string, string][] {
  const { input } = request;
  const rows: [string, string][] = [];
  if (input.topics) rows.push(['Topics', input.topics.length ? input.topics.join(', ') : 'All']);
  if (request.type === 'withdrawal' && !input.topics) rows.push(['Topics', 'All']);
  if (request.type === 'restriction')
    rows.push(['Asked', input.lift ? 'Lift the restriction' : 'Restrict processing']);
  if (input.changes)
    rows.push([
      'Changes',
      Object.entries(input.changes)
        .map(([name, value]) => `${name}: ${value}`)
        .join('; '),
    ]);
  if (input.details) rows.push(['Details', input.details]);
  return rows;
}

function daysText(left: number): string {
  if (left < 0) return `overdue by ${-left} ${-left === 1 ? 'day' : 'days'}`;
  return left === 0 ? 'due today' : `${left} ${left === 1 ? 'day' : 'days'} left`;
}
