/** The floor: a handler that loads nothing. */
export const handler = async () => ({ statusCode: 204, body: '' });
