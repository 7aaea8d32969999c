/**
 * What the gateway's and the admin's settings loaders share: reading a YAML settings file against a
 * TypeBox schema, with defaults applied and every problem reported as `file:line:col: path: message`
 * (never echoing a value at a secret path).
 */
import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { formatIssue } from './issues.ts';
import { parseYaml, schemaIssues } from './load.ts';

/** An empty variable counts as unset, as shells and compose files produce them freely. */
export function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** A setting that an environment variable and/or a command-line flag can set. */
export interface SettingOption<S> {
  env?: string;
  flag?: string;
  /** Parses the text into `s`; returns an error message (without the value for secrets) on failure. */
  apply: (s: S, text: string) => string | undefined;
}

/** Applies the environment layer, then the flag layer, on parsed values; each problem names its variable or flag. */
export function applyOptions<S>(
  options: readonly SettingOption<S>[],
  settings: S,
  env: Readonly<Record<string, string | undefined>>,
  flags: ReadonlyMap<string, string>,
  issues: string[],
): void {
  for (const option of options) {
    if (!option.env) continue;
    const text = env[option.env];
    // An empty variable counts as unset, as shells and compose files produce them freely.
    if (text === undefined || text === '') continue;
    const problem = option.apply(settings, text);
    if (problem) issues.push(`${option.env}: ${problem}`);
  }
  for (const option of options) {
    if (!option.flag) continue;
    const text = flags.get(option.flag);
    if (text === undefined) continue;
    const problem = option.apply(settings, text);
    if (problem) issues.push(`${option.flag}: ${problem}`);
  }
}

/**
 * Reads and validates a settings file; returns the settings with defaults applied, or undefined after
 * pushing its issues. `secretPaths` gets the parsed value, since list entries (`gateways[2].webhookSecret`)
 * depend on it.
 */
export function readSettingsFile<T extends TSchema>(
  path: string,
  schema: T,
  checker: TypeCheck<T>,
  issues: string[],
  secretPaths: (value: unknown) => ReadonlySet<string>,
): Static<T> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    issues.push(`${path}: cannot read settings file${code ? ` (${code})` : ''}`);
    return undefined;
  }
  // An empty settings file is valid: every setting keeps its default.
  const parsed = parseYaml(path, text, { empty: 'null' });
  for (const i of parsed.issues) issues.push(formatIssue(i));
  if (parsed.value === undefined) return undefined;
  const value: unknown = Value.Default(schema, parsed.value === null ? {} : structuredClone(parsed.value));
  if (checker.Check(value)) return value;
  for (const i of schemaIssues(checker, value, parsed.source, path, { secretPaths: secretPaths(value) })) issues.push(formatIssue(i));
  return undefined;
}
