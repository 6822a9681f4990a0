/**
 * Secret values, fetched once per container: from Secrets Manager in AWS, inline in local mode.
 * The Secrets Manager client is imported on first use, so functions pay for it only when they need it.
 */
import type { SecretSource } from '../config.ts';

export type SecretReader = () => Promise<string>;

export function secretReader(source: SecretSource): SecretReader {
  return secretValue(source, (value) => value);
}

/** The secret, parsed once (e.g. into a key), shared by every request of the container. */
export function secretValue<T>(source: SecretSource, parse: (value: string) => T): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    // Only the first call (or the first after a failure) reads the secret; the rest share its answer.
    cached ??= (source.kind === 'inline' ? Promise.resolve(source.key) : fetchSecret(source.secretId))
      .then(parse)
      .catch((error: unknown) => {
        cached = undefined; // a failed fetch is retried by the next request, not remembered
        throw error;
      });
    return cached;
  };
}

async function fetchSecret(secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error('The secret has no string value');
    return SecretString;
  } finally {
    client.destroy();
  }
}
