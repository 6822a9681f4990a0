import { restEvent } from '../test/handler/events.ts';
import { measureColdStarts } from './cold-start.ts';

const event = restEvent({
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  body: JSON.stringify({
    form: 'contact',
    name: 'A',
    email: 'a@example.com',
    message: 'x',
    marketing_consent: 'yes',
  }),
});
for (const f of ['/tmp/bb/enquiry/index.mjs', '/tmp/bb/enq-alias/index.mjs']) {
  try {
    console.log(
      f,
      measureColdStarts(
        [
          {
            name: 'ours',
            file: f,
            env: {
              TABLE_NAME: 'Table',
              MAIL_TRANSPORT: 'ses',
              EMAIL_HASH_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:x',
            },
            event,
          },
          { name: 'conv', file: '/tmp/bb/conv/index.js', env: { TABLE_NAME: 'Table' }, event: { body: 'x' } },
        ],
        3,
      ),
    );
  } catch (e) {
    console.log(f, 'FAILED', String((e as { stderr: string }).stderr).slice(0, 300));
  }
}
