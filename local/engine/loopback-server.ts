/**
 * An HTTP server of the runner's on a free port of 127.0.0.1 (loopback only: its endpoints are for this
 * machine's functions, tests and commands), and how it stops.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly endpoint: string;
  /** Stops listening and closes open connections. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // The SDK keeps connections alive: close them, or close() waits for them.
      server.closeAllConnections();
    }),
  };
}
