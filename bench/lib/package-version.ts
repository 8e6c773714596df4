import { readFileSync } from 'fs';
import * as path from 'path';

/**
 * The installed version of a package, or 'n/a'. Reads node_modules/<name>/package.json directly: some
 * packages' export maps hide it from require().
 */
export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'n/a';
  }
}
