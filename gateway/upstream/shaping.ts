/**
 * Tool shaping for proxied servers (`mcpServers[].tools`): include/exclude globs, renames and description
 * overrides. Compiled once per endpoint; the per-call work is one Map lookup and at most two regex tests.
 */
import type { McpServer } from '../config/schema.ts';
import type { Tool } from '../routing/endpoint.ts';

/** `*` matches any run of characters, `?` one character; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const c of glob) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function anyOf(globs: readonly string[] | undefined): RegExp | undefined {
  if (globs === undefined || globs.length === 0) return undefined;
  return new RegExp(globs.map((g) => globToRegExp(g).source).join('|'), 's');
}

export interface ToolShaper {
  /** True when the spec has no shaping at all: lists and calls pass through untouched. */
  readonly identity: boolean;
  /** Whether an upstream tool name is exposed (include/exclude). */
  allowed(upstreamName: string): boolean;
  /** The upstream name for a name the client used; undefined when the client may not call it. */
  upstreamName(clientName: string): string | undefined;
  /** The client's view of an upstream list; cached by list identity, so repeated lists cost nothing. */
  apply(tools: readonly Tool[]): Tool[];
}

/** Compiles the `tools` block of an mcpServers entry. */
export function compileShaper(spec: McpServer['tools']): ToolShaper {
  const include = anyOf(spec?.include);
  const exclude = anyOf(spec?.exclude);
  const rename = new Map(Object.entries(spec?.rename ?? {}));
  const descriptions = new Map(Object.entries(spec?.descriptions ?? {}));
  /** Client name → upstream name, for renamed tools. */
  const reverse = new Map<string, string>();
  for (const [from, to] of rename) reverse.set(to, from);
  const identity = include === undefined && exclude === undefined && rename.size === 0 && descriptions.size === 0;

  const allowed = (name: string): boolean => (include === undefined || include.test(name)) && (exclude === undefined || !exclude.test(name));

  let lastIn: readonly Tool[] | undefined;
  let lastOut: Tool[] = [];

  return {
    identity,
    allowed,
    upstreamName(clientName) {
      if (identity) return clientName;
      const original = reverse.get(clientName);
      let name = clientName;
      if (original !== undefined) name = original;
      // A renamed tool is only reachable by its new name.
      else if (rename.has(clientName)) return undefined;
      return allowed(name) ? name : undefined;
    },
    apply(tools) {
      if (identity) return tools as Tool[];
      if (tools === lastIn) return lastOut;
      const out: Tool[] = [];
      for (const tool of tools) {
        if (!allowed(tool.name)) continue;
        // An upstream tool whose name another tool was renamed to is shadowed: calls map to the renamed one.
        if (reverse.has(tool.name) && !rename.has(tool.name)) continue;
        const newName = rename.get(tool.name);
        const description = descriptions.get(tool.name);
        if (newName === undefined && description === undefined) {
          out.push(tool);
          continue;
        }
        const shaped: Tool = { ...tool };
        if (newName !== undefined) shaped.name = newName;
        if (description !== undefined) shaped.description = description;
        out.push(shaped);
      }
      lastIn = tools;
      lastOut = out;
      return out;
    },
  };
}
