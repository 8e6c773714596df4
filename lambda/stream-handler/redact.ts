/**
 * Redaction rules, compiled once at init so that each attribute costs one Set lookup (and one Map lookup
 * while inside a configured path).
 *
 * - A bare name (`email`) is masked wherever a map key has that name, at any depth, in keys and images.
 * - A dotted path (`customer.address.street`) is masked only at that path from the top of the item.
 *   Lists on the way are crossed transparently: `customer.phones.number` masks `number` in every element
 *   of the `phones` list. A top-level attribute whose name is literally `customer.address.street`
 *   (dots are legal in attribute names) is masked too: masking too much is safer than leaking.
 * Names are case-sensitive, like DynamoDB's. The masked value, whatever its type, becomes REDACTED.
 * What an entry may be is src/shared/change-log-environment.ts (the construct checks entries with it too).
 */
import { redactEntryProblem } from '../../src/shared/change-log-environment';

export interface PathNode {
  /** The path ends here: mask this attribute. */
  terminal: boolean;
  readonly children: Map<string, PathNode>;
}

export interface Redaction {
  /** Masked at any depth. */
  readonly names: ReadonlySet<string>;
  /** Masked at the top level only (bare names plus dotted entries taken literally). */
  readonly topLevelNames: ReadonlySet<string>;
  /** Root of the dotted paths; undefined when there are none. */
  readonly paths: PathNode | undefined;
}

export const NO_REDACTION: Redaction = { names: new Set(), topLevelNames: new Set(), paths: undefined };

/** Throws a message naming the bad entry; entries were validated as strings by the caller. */
export function compileRedaction(entries: readonly string[]): Redaction {
  const names = new Set<string>();
  const topLevelNames = new Set<string>();
  let paths: PathNode | undefined;
  for (const entry of entries) {
    const problem = redactEntryProblem(entry);
    if (problem) {
      throw new Error(`${JSON.stringify(entry)} ${problem}`);
    }
    const segments = entry.split('.');
    topLevelNames.add(entry);
    if (segments.length === 1) {
      names.add(entry);
      continue;
    }
    paths ??= { terminal: false, children: new Map() };
    let node = paths;
    for (const segment of segments) {
      let child = node.children.get(segment);
      if (!child) {
        child = { terminal: false, children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.terminal = true;
  }
  return { names, topLevelNames, paths };
}
