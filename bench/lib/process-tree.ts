import { readdirSync, readFileSync } from 'fs';

/** Linux clock ticks per second (`getconf CLK_TCK`; 100 on every kernel these benches run on). */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** Every process's parent, read from /proc. */
function parentsNow(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) parents.set(Number(entry), stat.ppid);
  }
  return parents;
}

/** `pid` and every process below it (children, their children, ...), read from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parentsNow()) children.set(parent, [...(children.get(parent) ?? []), child]);
  const tree: number[] = [];
  const visit = (p: number) => {
    tree.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/**
 * Samples, every `intervalMs`, the CPU of `pid` and of every process below it, each process named a kind by
 * `kindOf` when first seen; `stop()` gives the CPU seconds per kind (a process's last reading before it ended).
 */
export function sampleTreeCpu(
  pid: number, kindOf: (pid: number, ppid: number, command: string) => string, intervalMs = 100,
): { stop(): Map<string, number> } {
  const seen = new Map<number, { kind: string; seconds: number }>();
  const sample = () => {
    for (const p of processTree(pid)) {
      const stat = readStat(p);
      if (!stat) continue;
      const entry = seen.get(p) ?? { kind: kindOf(p, stat.ppid, commandLine(p)), seconds: 0 };
      entry.seconds = stat.cpuTicks / TICKS_PER_SECOND;
      seen.set(p, entry);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      const byKind = new Map<string, number>();
      for (const { kind, seconds } of seen.values()) byKind.set(kind, (byKind.get(kind) ?? 0) + seconds);
      return byKind;
    },
  };
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf-8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** CPU seconds (user + system) the processes used so far; processes that ended meanwhile count 0. */
export function cpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readStat(pid)?.cpuTicks ?? 0), 0) / TICKS_PER_SECOND;
}

/** Resident memory of the processes now, in MiB. */
export function residentMiB(pids: readonly number[]): number {
  let pages = 0;
  for (const pid of pids) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf-8').split(' ')[1]);
    } catch {
      // ended meanwhile
    }
  }
  return (pages * PAGE_BYTES) / 2 ** 20;
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf-8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}
