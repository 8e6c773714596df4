/**
 * Reads the handler's options from the environment once, at init. Anything invalid stops the function
 * from starting, with a message naming the variable and the value received: a misconfigured change log
 * should fail loudly at deploy time, not quietly log the wrong thing (or leak what should be redacted).
 *
 * The variables, their values and defaults are the contract in src/shared/change-log-environment.ts (shared
 * with the construct that sets them) and docs/change-log.md, "Options".
 */
import { compileRedaction, NO_REDACTION, Redaction } from './redact';
import { CHANGE_LOG_DEFAULTS, CHANGE_LOG_ENV, LOG_LEVELS } from '../../src/shared/change-log-environment';

export interface ChangeLogConfig {
  /** Upper-cased level for the Logger, or undefined to let Powertools read its own variables. */
  readonly logLevel?: string;
  readonly serviceName: string;
  readonly logImages: boolean;
  readonly redactEntries: readonly string[];
  readonly redaction: Redaction;
}

const { logLevel: LOG_LEVEL, serviceName: SERVICE_NAME, logImages: LOG_IMAGES, redact: REDACT } = CHANGE_LOG_ENV;

export function readConfig(env: Record<string, string | undefined>): ChangeLogConfig {
  const problems: string[] = [];

  // Powertools itself ignores a level it does not know (and lower-case ones) and falls back to INFO.
  let logLevel: string | undefined;
  const rawLevel = env[LOG_LEVEL]?.trim();
  if (rawLevel) {
    logLevel = rawLevel.toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      problems.push(`${LOG_LEVEL} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env[LOG_LEVEL])}`);
    }
  }

  const serviceName = env[SERVICE_NAME]?.trim() || CHANGE_LOG_DEFAULTS.serviceName;

  let logImages: boolean = CHANGE_LOG_DEFAULTS.logImages;
  const rawImages = env[LOG_IMAGES];
  if (rawImages !== undefined && rawImages !== '') {
    if (rawImages === 'true' || rawImages === 'false') {
      logImages = rawImages === 'true';
    } else {
      problems.push(`${LOG_IMAGES} must be "true" or "false", got ${JSON.stringify(rawImages)}`);
    }
  }

  let redactEntries: readonly string[] = CHANGE_LOG_DEFAULTS.redact;
  let redaction = NO_REDACTION;
  const rawRedact = env[REDACT];
  if (rawRedact !== undefined && rawRedact.trim() !== '') {
    try {
      redactEntries = parseRedactEntries(rawRedact);
      redaction = compileRedaction(redactEntries);
    } catch (error) {
      problems.push(`${REDACT} ${(error as Error).message}; got ${JSON.stringify(rawRedact)}`);
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
