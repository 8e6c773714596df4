import { spawn } from 'child_process';
import { existsSync } from 'fs';

export interface ProcessFigures {
  readonly wallMs: number;
  /** Peak resident memory of the largest process in the tree, in MiB (GNU time's %M), when measurable. */
  readonly peakMiB: number;
  readonly stdout: string;
  readonly stderr: string;
}

const GNU_TIME = '/usr/bin/time';

export interface MeasureOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion and measures its wall time and peak memory. Peak memory comes from GNU
 * time (Debian package `time`), which reads the kernel's rusage of the waited-for process tree.
 */
export function measureProcess(command: string, args: string[], options: MeasureOptions = {}): Promise<ProcessFigures> {
  const useTime = existsSync(GNU_TIME);
  const [cmd, cmdArgs] = useTime ? [GNU_TIME, ['-f', '__PEAK_KB__%M', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, cmdArgs, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const peak = /__PEAK_KB__(\d+)/.exec(stderr);
      stderr = stderr.replace(/__PEAK_KB__\d+\n?/, '');
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ wallMs, peakMiB: peak ? Number(peak[1]) / 1024 : NaN, stdout, stderr });
    });
    child.stdin.end();
  });
}
