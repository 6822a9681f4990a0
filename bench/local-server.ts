/** Starting and stopping the real `npm start` runner from a benchmark. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export async function waitForServer(base: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error('The local server exited during start-up');
    try {
      if ((await fetch(base)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('The local server did not start within 90 s');
}

export async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null) return;
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
  await once(server, 'exit');
  clearTimeout(timer);
}
