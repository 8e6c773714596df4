/**
 * The bundled change-log handler's environment contract (docs/change-log.md, "Options"): the variables the
 * construct sets and the handler reads, their defaults, and the syntax of a redaction entry. The construct
 * (src/stream-handler.ts) writes them, the handler (lambda/stream-handler/config.ts) reads them; neither
 * spells a name or a default of its own.
 */

/** Names of the variables. */
export const CHANGE_LOG_ENV = {
  /** Powertools' own log level variable. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** Powertools' service name: the `service` field of every line. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** `"true"` or `"false"`: whether images are logged. */
  logImages: 'CHANGE_LOG_IMAGES',
  /** A JSON array of redaction entries. */
  redact: 'CHANGE_LOG_REDACT',
} as const;

/** What the handler does when a variable is unset or empty. */
export const CHANGE_LOG_DEFAULTS = {
  logLevel: 'INFO',
  serviceName: 'stream-triggered-table',
  logImages: true,
  redact: [] as readonly string[],
} as const;

/** Every level Powertools Logger knows; the handler accepts them in any case. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/** What a masked value becomes. */
export const REDACTED = '***REDACTED***';

/**
 * Why a redaction entry is refused, or undefined. An entry is an attribute name (masked at any depth) or a
 * dotted path from the top of the item: no segment may be empty.
 */
export function redactEntryProblem(entry: string): string | undefined {
  return entry.split('.').some((segment) => segment.length === 0)
    ? 'is neither an attribute name nor a dotted path (empty segment)' : undefined;
}

/** What the construct sets for the handler's options (values as the variables carry them). */
export interface ChangeLogSettings {
  readonly logLevel?: string;
  readonly logImages?: boolean;
  readonly redactAttributes?: readonly string[];
}

/** The environment the construct gives the bundled function. */
export function changeLogEnvironment(settings: ChangeLogSettings): Record<string, string> {
  return {
    [CHANGE_LOG_ENV.logLevel]: settings.logLevel ?? CHANGE_LOG_DEFAULTS.logLevel,
    [CHANGE_LOG_ENV.serviceName]: CHANGE_LOG_DEFAULTS.serviceName,
    [CHANGE_LOG_ENV.logImages]: String(settings.logImages ?? CHANGE_LOG_DEFAULTS.logImages),
    [CHANGE_LOG_ENV.redact]: JSON.stringify(settings.redactAttributes ?? CHANGE_LOG_DEFAULTS.redact),
  };
}
