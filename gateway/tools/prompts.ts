/**
 * Static prompts of a config (`prompts[]`): listed as declared, and `prompts/get` replaces `{argName}`
 * placeholders with the given values (plain text substitution, as in the seed system, not templates).
 */
import type { Prompt as PromptSpec } from '../config/schema.ts';
import { type GetPromptResult, McpMethodError, type Prompt } from '../routing/endpoint.ts';
import { deepFreeze } from './util.ts';

export interface CompiledPrompts {
  /** The prompts/list array, frozen; the same array is returned on every call. */
  readonly list: readonly Prompt[];
  /** Unknown prompt or a missing required argument → McpMethodError(-32602). */
  get(name: string, args: Readonly<Record<string, unknown>> | undefined): GetPromptResult;
}

const PLACEHOLDER = /\{([^{}\s]+)\}/g;

interface CompiledPrompt {
  readonly spec: PromptSpec;
  readonly declared: ReadonlySet<string>;
  readonly required: readonly string[];
}

export function compilePrompts(prompts: readonly PromptSpec[] | undefined): CompiledPrompts {
  const byName = new Map<string, CompiledPrompt>();
  const list: Prompt[] = [];
  for (const spec of prompts ?? []) {
    const entry: Prompt = { name: spec.name };
    if (spec.description !== undefined) entry.description = spec.description;
    if (spec.arguments && spec.arguments.length > 0) {
      entry.arguments = spec.arguments.map((a) => {
        const arg: NonNullable<Prompt['arguments']>[number] = { name: a.name };
        if (a.description !== undefined) arg.description = a.description;
        if (a.required !== undefined) arg.required = a.required;
        return arg;
      });
    }
    list.push(deepFreeze(entry));
    byName.set(spec.name, {
      spec,
      declared: new Set((spec.arguments ?? []).map((a) => a.name)),
      required: (spec.arguments ?? []).filter((a) => a.required).map((a) => a.name),
    });
  }
  Object.freeze(list);

  return {
    list,
    get(name, args) {
      const prompt = byName.get(name);
      if (!prompt) throw new McpMethodError(-32602, `unknown prompt "${name}"`);
      const values = args ?? {};
      for (const required of prompt.required) {
        const v = values[required];
        if (v === undefined || v === null) {
          throw new McpMethodError(-32602, `prompt "${name}": missing required argument "${required}"`);
        }
      }
      // One pass over the text, so a value that itself contains "{x}" is never substituted again.
      const substitute = (text: string) =>
        text.replace(PLACEHOLDER, (match, key: string) => {
          const v = values[key];
          if (v !== undefined && v !== null) return typeof v === 'string' ? v : JSON.stringify(v);
          return prompt.declared.has(key) ? '' : match;
        });
      const result: GetPromptResult = {
        messages: (prompt.spec.promptResponse ?? []).map((m) => ({
          role: m.role,
          content: { type: 'text' as const, text: substitute(m.content.text) },
        })),
      };
      if (prompt.spec.description !== undefined) result.description = prompt.spec.description;
      return result;
    },
  };
}
