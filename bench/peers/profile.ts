/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`) of a child process: self time per function, and per
 * module when the profiled file is an unminified esbuild bundle (esbuild marks the start of each inlined
 * module with a `// path/to/module.js` comment line, so a function's line number tells its module).
 */
import { readFileSync } from 'fs';
import * as path from 'path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  /** Of all sampled time in the process, 0–1. */
  readonly share: number;
}

/** Groups a sampled function into a category for the summary (e.g. "Powertools Logger", "our handler code"). */
export type Categorize = (module: string, functionName: string) => string;

export interface ProfileSummary {
  /** Sampled time that the shares are of: all of it but (idle) and the excluded modules. */
  readonly totalMs: number;
  /** Sampled time left out (idle, excluded modules). */
  readonly excludedMs: number;
  readonly functions: SelfTime[];
  readonly modules: SelfTime[];
  readonly categories: SelfTime[];
}

/** Module start lines of an unminified esbuild bundle: `// node_modules/@aws-lambda-powertools/logger/lib/cjs/Logger.js`. */
function moduleMarkers(file: string): Array<{ line: number; module: string }> {
  const markers: Array<{ line: number; module: string }> = [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return markers;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:node_modules|lambda|bench|src)\/\S+)$/.exec(lines[i]);
    if (m) markers.push({ line: i, module: m[1].replace(/^node_modules\//, '') });
  }
  return markers;
}

/**
 * `bundles`: the unminified bundles in the profile, for module names. `exclude`: modules whose time is left
 * out of the shares (e.g. the harness's own work between invocations).
 */
export function summarizeCpuProfile(profileFile: string, bundles: readonly string[],
  exclude: (module: string) => boolean = () => false, categorize: Categorize = (module) => module, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const markersByUrl = new Map<string, Array<{ line: number; module: string }>>();
  for (const bundle of bundles) markersByUrl.set(`file://${bundle}`, moduleMarkers(bundle));

  const byNode = new Map<number, number>();
  let totalUs = 0;
  // timeDeltas[i] is the time between sample i-1 and sample i: charge it to sample i's function.
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    byNode.set(profile.samples[i], (byNode.get(profile.samples[i]) ?? 0) + delta);
    totalUs += delta;
  }

  const functions = new Map<string, { name: string; where: string; us: number }>();
  const modules = new Map<string, number>();
  const categories = new Map<string, number>();
  let excludedUs = 0;
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const markers = markersByUrl.get(url);
    let module: string;
    if (markers && markers.length > 0) {
      let found = 'bundle prelude';
      for (const marker of markers) {
        if (marker.line > lineNumber) break;
        found = marker.module;
      }
      module = found;
    } else if (url.startsWith('node:') || url === '') {
      module = url === '' ? (functionName.startsWith('(') ? functionName : 'V8 builtins / native') : `node core (${url.slice(5).split('/')[0]})`;
    } else {
      module = path.basename(url);
    }
    if (module === '(idle)' || exclude(module)) {
      excludedUs += us;
      continue;
    }
    const where = url === '' ? '' : `${module}:${lineNumber + 1}`;
    const name = functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    modules.set(module, (modules.get(module) ?? 0) + us);
    const category = categorize(module, name);
    categories.set(category, (categories.get(category) ?? 0) + us);
  }

  const countedUs = totalUs - excludedUs;
  const toSelf = (name: string, where: string, us: number): SelfTime => ({ name, where, ms: us / 1000, share: us / countedUs });
  return {
    totalMs: countedUs / 1000,
    excludedMs: excludedUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => toSelf(f.name, f.where, f.us)),
    modules: [...modules.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([m, us]) => toSelf(m, '', us)),
    categories: [...categories.entries()].sort((a, b) => b[1] - a[1]).map(([c, us]) => toSelf(c, '', us)),
  };
}

export function formatSummary(label: string, summary: ProfileSummary, functions = 10, modules = 6): string[] {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  const list = (entries: SelfTime[]) => entries.map((m) => `${m.name} ${pct(m.share)}`).join(', ');
  return [
    `${label}: ${summary.totalMs.toFixed(0)} ms sampled. Self time by category: ${list(summary.categories.filter((c) => c.share >= 0.005))}; `
    + `by module: ${list(summary.modules.slice(0, modules))}.`,
    `${label}: top functions by self time: ${summary.functions.slice(0, functions).map((f) => `${f.name}${f.where ? ` (${f.where})` : ''} ${pct(f.share)}`).join('; ')}.`,
  ];
}
