/**
 * What changed between two syntheses of one app, as `LocalRunner.reload` tells it: a function's code or
 * settings, a mapping's options, a table's definition. Each says what differs in a few words, or undefined
 * when nothing does.
 */
import * as path from 'path';
import type { FunctionDefinition, MappingDefinition, TableDefinition } from '../assembly/definitions';

/** What differs in a function the runner hosts: its code first (the asset folder is named after its hash). */
export function functionChange(before: FunctionDefinition, after: FunctionDefinition): string | undefined {
  const changed: string[] = [];
  if (before.assetPath !== after.assetPath || before.inlineCode !== after.inlineCode) {
    changed.push(after.assetPath ? `new code (${path.basename(after.assetPath)})` : 'new inline code');
  }
  for (const field of ['handler', 'runtime', 'timeoutSeconds', 'memorySize'] as const) {
    if (before[field] !== after[field]) changed.push(`${field} ${before[field]} -> ${after[field]}`);
  }
  const names = [...new Set([...Object.keys(before.environment), ...Object.keys(after.environment)])].sort();
  const variables = names.filter((n) => before.environment[n] !== after.environment[n]);
  if (variables.length) changed.push(`environment ${variables.join(', ')}`);
  if (JSON.stringify(before.layerModuleDirs) !== JSON.stringify(after.layerModuleDirs)) changed.push('layers');
  return changed.length ? changed.join('; ') : undefined;
}

/** The options of an event source mapping that differ, each with its old and new value. */
export function mappingChange(before: MappingDefinition, after: MappingDefinition): string | undefined {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])] as Array<keyof MappingDefinition>;
  const changed = fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((f) => `${f} ${brief(before[f])} -> ${brief(after[f])}`);
  return changed.length ? changed.join('; ') : undefined;
}

/** A table's definition beyond its name (keys, indexes, TTL, stream) that differs. */
export function tableChange(before: TableDefinition, after: TableDefinition): string | undefined {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((f) => f !== 'aliases') as Array<keyof TableDefinition>;
  const changed = fields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  return changed.length ? changed.join(', ') : undefined;
}

/** A value in a line of its own: long ones (a filter pattern) cut short. */
function brief(value: unknown): string {
  const text = value === undefined ? 'none' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
