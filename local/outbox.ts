/** `GET /__local/outbox`: the emails the system would have sent, newest last. */
import { localOutbox } from '../shared/adapters/mail/outbox.ts';
import { jsonResponse, type LocalService } from './services.ts';

export function outboxService(): LocalService {
  return {
    name: 'outbox',
    routes: [{ method: 'GET', path: '/__local/outbox', handle: () => jsonResponse(200, localOutbox) }],
  };
}
