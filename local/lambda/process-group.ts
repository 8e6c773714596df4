/**
 * A function process and whatever it spawns die together: on POSIX each function process leads its own
 * process group, and the group is killed as a whole, as Lambda discards a whole execution environment.
 *
 * A process the function starts with `detached: true` makes a group (and a session) of its own and
 * escapes, as it would escape Lambda's freezing of the sandbox: it is not chased.
 *
 * Windows has no process groups to kill this way: there a function process is killed alone, as before.
 *
 * Node built-ins only: the worker imports this file too.
 */
import type { ChildProcess } from 'node:child_process';

/** Whether function processes are spawned as the leaders of their own process groups (`detached`). */
export const OWN_PROCESS_GROUPS = process.platform !== 'win32';

/**
 * SIGKILLs `child` and every process left in its group. Synchronous, so usable in an `exit` handler.
 * Also right after `child` exited on its own: its group lives on while a grandchild does, and a pid
 * cannot be taken again while a group still carries it.
 */
export function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  if (OWN_PROCESS_GROUPS) {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      // ESRCH: nothing left in the group; EPERM should not happen for our own children. Either way the
      // process itself is killed below if it still runs.
    }
  }
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * For the function process itself, when its parent is gone without killing it (SIGKILLed, so no exit
 * hook ran): kills its whole group, itself included, else just exits. Nothing runs after the group kill,
 * so whatever must happen before exiting has to happen before this call.
 */
export function exitWithOwnProcessGroup(code: number): never {
  if (OWN_PROCESS_GROUPS) {
    try {
      // Succeeds only for a group leader: a process that leads no group has no group carrying its pid.
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      // Not a group leader (started without `detached`): exit alone.
    }
  }
  process.exit(code);
}
