/**
 * Watches an app's sources and calls back once a burst of changes is over (an editor's save writes, renames
 * and touches several files). What is not source is never watched: `node_modules` and `.git` (walking them
 * would cost thousands of watches), the assembly and the runner's own folder (the runner writes there), and
 * editors' scratch files.
 */
import { FSWatcher, readdirSync, statSync, watch } from 'fs';
import * as path from 'path';

/** Folder names that are never sources, wherever they are. */
const IGNORED_NAMES = new Set(['node_modules', '.git', 'cdk.out']);
/** Editors' swap, backup and lock files. */
const SCRATCH_FILE = /(^\.#|~$|\.sw[px]$|^4913$)/;
const DEFAULT_DEBOUNCE_MS = 300;

export interface SourceWatcherOptions {
  /** The app's folder (where `cdk.json` is). */
  readonly directory: string;
  /** Absolute folders under `directory` that are not sources (the assembly, the runner's folder). */
  readonly ignore?: readonly string[];
  /** Quiet time after the last change before `onChange` is called. Default 300 ms. */
  readonly debounceMs?: number;
  /** The files that changed, relative to `directory`, sorted. */
  readonly onChange: (files: string[]) => void;
}

export class SourceWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly changed = new Set<string>();
  private readonly ignore: string[];
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: SourceWatcherOptions) {
    this.ignore = (options.ignore ?? []).map((p) => path.resolve(p));
    // The folder itself, for its own files and for folders created later; each folder under it recursively.
    this.add('.', false);
    for (const entry of readdirSync(options.directory, { withFileTypes: true })) {
      if (entry.isDirectory()) this.add(entry.name, true);
    }
  }

  /** Stops watching; a pending callback is not made. */
  public close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private add(relative: string, recursive: boolean): void {
    if (this.watchers.has(relative) || this.isIgnored(relative)) return;
    const watcher = watch(path.join(this.options.directory, relative), { recursive }, (_event, name) => {
      if (!name) return;
      const file = path.join(relative, name.toString());
      // A folder created at the top: watched from now on.
      if (relative === '.' && this.isDirectory(file)) this.add(file, true);
      this.touched(file);
    });
    // A watched folder that is removed ends its watcher with an error: nothing to do but forget it.
    watcher.on('error', () => {
      watcher.close();
      this.watchers.delete(relative);
    });
    this.watchers.set(relative, watcher);
  }

  private touched(file: string): void {
    if (this.closed || this.isIgnored(file)) return;
    this.changed.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const files = [...this.changed].sort();
      this.changed.clear();
      if (!this.closed) this.options.onChange(files);
    }, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  private isIgnored(file: string): boolean {
    const segments = path.normalize(file).split(path.sep);
    if (segments.some((s) => IGNORED_NAMES.has(s)) || SCRATCH_FILE.test(segments[segments.length - 1])) return true;
    const absolute = path.resolve(this.options.directory, file);
    return this.ignore.some((folder) => absolute === folder || absolute.startsWith(folder + path.sep));
  }

  private isDirectory(file: string): boolean {
    try {
      return statSync(path.join(this.options.directory, file)).isDirectory();
    } catch {
      return false; // removed meanwhile
    }
  }
}
