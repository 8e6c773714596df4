/**
 * Processes die with their parent: every execution environment a host forks (with its process group), and
 * every temporary directory it creates, is registered here and killed or removed when this process exits,
 * whether or not the host was stopped.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killProcessGroup } from './process-group';

const liveProcesses = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Workers also exit, with their process group, when their IPC channel closes (the parent died without
  // this hook, e.g. SIGKILLed).
  process.on('exit', () => {
    for (const child of liveProcesses) killProcessGroup(child);
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** Kills `child` when this process exits, unless {@link untrackProcess} said it is gone by then. */
export function trackProcess(child: ChildProcess): void {
  installExitHook();
  liveProcesses.add(child);
}

export function untrackProcess(child: ChildProcess): void {
  liveProcesses.delete(child);
}

/** A new temporary directory, removed by {@link removeTempDir} or, at the latest, when this process exits. */
export function createTempDir(prefix: string): string {
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}
