/**
 * Reads the handler's options from the environment once, at init. Anything invalid stops the function
 * from starting, with a message naming the variable and the value received: a misconfigured change log
 * should fail loudly at deploy time, not quietly log the wrong thing (or leak what should be redacted).
 *
 *   POWERTOOLS_LOG_LEVEL     TRACE | DEBUG | INFO | WARN | ERROR | CRITICAL | SILENT (any case; default INFO)
 *   POWERTOOLS_SERVICE_NAME  the `service` field of every line (default "stream-triggered-table")
 *   CHANGE_LOG_IMAGES        "true" | "false" (default "true"): log newImage / oldImage
 *   CHANGE_LOG_REDACT        JSON array of attribute names / dotted paths to mask (default "[]")
 */
import { compileRedaction, NO_REDACTION, Redaction } from './redact';

export interface ChangeLogConfig {
  /** Upper-cased level for the Logger, or undefined to let Powertools read its own variables. */
  readonly logLevel?: string;
  readonly serviceName: string;
  readonly logImages: boolean;
  readonly redactEntries: readonly string[];
  readonly redaction: Redaction;
}

const DEFAULT_SERVICE_NAME = 'stream-triggered-table';
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

export function readConfig(env: Record<string, string | undefined>): ChangeLogConfig {
  const problems: string[] = [];

  // Powertools itself ignores a level it does not know (and lower-case ones) and falls back to INFO.
  let logLevel: string | undefined;
  const rawLevel = env.POWERTOOLS_LOG_LEVEL?.trim();
  if (rawLevel) {
    logLevel = rawLevel.toUpperCase();
    if (!LOG_LEVELS.includes(logLevel)) {
      problems.push(`POWERTOOLS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.POWERTOOLS_LOG_LEVEL)}`);
    }
  }

  const serviceName = env.POWERTOOLS_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME;

  let logImages = true;
  const rawImages = env.CHANGE_LOG_IMAGES;
  if (rawImages !== undefined && rawImages !== '') {
    if (rawImages === 'true' || rawImages === 'false') {
      logImages = rawImages === 'true';
    } else {
      problems.push(`CHANGE_LOG_IMAGES must be "true" or "false", got ${JSON.stringify(rawImages)}`);
    }
  }

  let redactEntries: string[] = [];
  let redaction = NO_REDACTION;
  const rawRedact = env.CHANGE_LOG_REDACT;
  if (rawRedact !== undefined && rawRedact.trim() !== '') {
    try {
      redactEntries = parseRedactEntries(rawRedact);
      redaction = compileRedaction(redactEntries);
    } catch (error) {
      problems.push(`CHANGE_LOG_REDACT ${(error as Error).message}; got ${JSON.stringify(rawRedact)}`);
    }
  }

  if (problems.length > 0) {
    throw new Error(`invalid change-log handler configuration: ${problems.join('; ')}`);
  }
  return { logLevel, serviceName, logImages, redactEntries, redaction };
}

function parseRedactEntries(raw: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON array of strings (it is not valid JSON)');
  }
  if (!Array.isArray(parsed)) {
    throw new Error('must be a JSON array of strings');
  }
  for (const entry of parsed) {
    if (typeof entry !== 'string') {
      throw new Error(`must be a JSON array of strings, found ${JSON.stringify(entry)}`);
    }
  }
  return parsed as string[];
}
