/**
 * `POST /__local/mail/faults` makes the local mail service fail as SES can: `{"fail": 3}` refuses the
 * next three sends, `{"down": true}` refuses every send until `{"down": false}`. `POST
 * /__local/mail/redrive` (`{"minutes": 0}` by default) sends what is still waiting, as
 * invoking the mailer with `{"redrive": {"minutes": N}}` does in AWS once its stream delivery has given up.
 * `GET /__local/mail/waiting` counts the queued emails not sent yet (tests wait for it to reach 0).
 */
import { localMailFaults } from '../shared/adapters/mail/outbox.ts';
import { jsonResponse, type LocalRequest, type LocalService } from './services.ts';

export function mailFaultsService(): LocalService {
  return {
    name: 'mail-faults',
    routes: [
      { method: 'GET', path: '/__local/mail/faults', handle: () => jsonResponse(200, localMailFaults) },
      { method: 'POST', path: '/__local/mail/faults', handle: setFaults },
      { method: 'POST', path: '/__local/mail/redrive', handle: redrive },
      { method: 'GET', path: '/__local/mail/waiting', handle: waiting },
    ],
    async stop() {
      localMailFaults.fail = 0;
      localMailFaults.down = false;
    },
  };
}

function setFaults(request: LocalRequest) {
  const body = readJson(request);
  const fail = body?.fail ?? 0;
  const down = body?.down ?? false;
  if (!Number.isInteger(fail) || (fail as number) < 0 || typeof down !== 'boolean')
    return jsonResponse(400, { message: 'Expected {"fail": <whole number>} and/or {"down": true|false}' });
  localMailFaults.fail = fail as number;
  localMailFaults.down = down;
  return jsonResponse(200, localMailFaults);
}

async function redrive(request: LocalRequest) {
  const minutes = readJson(request)?.minutes ?? 0;
  if (typeof minutes !== 'number' || minutes < 0)
    return jsonResponse(400, { message: 'Expected {"minutes": <number>}' });
  const { handler } = await import('../functions/mailer/handler.ts');
  const report = await handler({ redrive: { minutes } }, {
    awsRequestId: 'local-redrive',
    functionName: 'mailer',
  } as Parameters<typeof handler>[1]);
  return jsonResponse(200, report);
}

async function waiting() {
  const { dependencies } = await import('../functions/mailer/handler.ts');
  // Everything queued up to now; a day ahead allows for a clock moved back with POST /__local/clock.
  const ids = await dependencies.outbox.waitingSince(new Date(Date.now() + 86_400_000));
  return jsonResponse(200, { waiting: ids.length });
}

function readJson(request: LocalRequest): Record<string, unknown> | undefined {
  if (request.body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
