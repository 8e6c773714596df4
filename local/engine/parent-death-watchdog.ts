/**
 * Kills a child process when this process dies by any means, SIGKILL and the OOM killer included, when
 * no exit hook runs and Node cannot ask the kernel for a parent-death signal (PR_SET_PDEATHSIG).
 *
 * A tiny `/bin/sh` reads a pipe whose other end only this process holds. The kernel closes that end when
 * this process ends, however it ends; `read` then sees end-of-file and the shell SIGKILLs the child.
 *
 * The watchdog runs beside the child rather than wrapping it, so the child is spawned as before: its pid,
 * signals, exit status, output and spawn errors are its own. The watchdog leads a process group of its
 * own: a signal to this process's group (a terminal's Ctrl-C, a CI job's timeout killing the group) must
 * not end it before it has done its job; when this process dies of it, the pipe closes and the child is
 * killed all the same.
 *
 * Windows has no `/bin/sh`: there the exit hooks of the caller remain the only protection.
 *
 * Node built-ins only.
 */
import { ChildProcess, spawn } from 'node:child_process';
import type * as net from 'node:net';

export interface ParentDeathWatchdog {
  /**
   * Ends the watchdog without touching the child. Call it as soon as the child has exited (its pid may
   * then go to another process) and before this process exits on purpose. Synchronous; idempotent.
   */
  disarm(): void;
}

/** Loops until end-of-file only, so a stray line on the pipe cannot trigger the kill. */
const WATCHDOG_SCRIPT = 'while read -r _; do :; done; kill -9 "$1"';

/** `name` is the watchdog's `$0`, so that it can be told apart in a process list. */
export function killOnParentDeath(child: ChildProcess, name: string): ParentDeathWatchdog {
  if (process.platform === 'win32' || child.pid === undefined) return { disarm: () => {} };
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, name, String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.on('error', (error) => {
    process.emitWarning(`${name}: could not start the watchdog (${error.message}): pid ${child.pid} outlives this process if it is killed`);
  });
  // Never written to, and never ended on purpose: ending it is what makes the watchdog kill.
  watchdog.stdin?.on('error', () => {});
  // Only of use once this process is gone: it must not keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as net.Socket | null)?.unref();
  return {
    disarm: () => {
      // SIGKILL before the pipe could close: the watchdog ends without reading end-of-file.
      if (watchdog.exitCode === null && watchdog.signalCode === null && watchdog.pid !== undefined) watchdog.kill('SIGKILL');
    },
  };
}
