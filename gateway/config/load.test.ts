import { afterAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ConfigIssue, formatIssue, formatPath } from './issues.ts';
import { loadConfigDir, parseConfigText, parseYaml } from './load.ts';

const FILE = 'configs/acme/tickets.yaml';
const issuesOf = (text: string) => parseConfigText(FILE, text).issues.map(formatIssue);

const temps: string[] = [];
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'gw-load-'));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

describe('issues', () => {
  const issue: ConfigIssue = { file: FILE, line: 12, col: 7, path: 'tools[2].endpoint', message: 'unknown function "evn"', severity: 'error' };

  it('formats an error as file:line:col: path: message', () => {
    expect(formatIssue(issue)).toBe('configs/acme/tickets.yaml:12:7: tools[2].endpoint: unknown function "evn"');
  });

  it('prefixes warnings with "warning: " after the location', () => {
    expect(formatIssue({ ...issue, severity: 'warning' })).toBe('configs/acme/tickets.yaml:12:7: warning: tools[2].endpoint: unknown function "evn"');
  });

  it('leaves the path out when the issue is about the whole document', () => {
    expect(formatIssue({ ...issue, path: '', message: 'empty document' })).toBe('configs/acme/tickets.yaml:12:7: empty document');
  });

  it('writes paths in JS notation and quotes keys that are not identifiers', () => {
    expect(formatPath(['tools', 2, 'args', 0, 'position'])).toBe('tools[2].args[0].position');
    expect(formatPath(['tools', 0, 'headers', 'X-User'])).toBe('tools[0].headers["X-User"]');
  });
});

describe('parseConfigText', () => {
  it('returns the typed document and no issues when the document is valid', () => {
    const r = parseConfigText(FILE, 'name: tickets\ntenant: acme\ntools:\n  - {name: get, method: GET, endpoint: "http://x/"}\n');
    expect(r.issues).toEqual([]);
    expect(r.doc?.tools?.[0]?.name).toBe('get');
  });

  it('reports a YAML syntax error at the line and column the parser gives', () => {
    expect(issuesOf('name: tickets\ntenant: [acme\nx: 1\n')).toEqual([
      'configs/acme/tickets.yaml:3:1: invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports a duplicate key with the path of the map holding it', () => {
    expect(issuesOf('name: tickets\ntenant: acme\nservers:\n  - name: a\n    name: b\n')).toEqual([
      'configs/acme/tickets.yaml:5:5: servers[0]: duplicate key "name"',
    ]);
  });

  it('rejects a file holding several YAML documents', () => {
    expect(issuesOf('name: a\ntenant: acme\n---\nname: b\ntenant: acme\n')).toEqual([
      'configs/acme/tickets.yaml:3:1: multiple YAML documents in one file (a config file holds exactly one document)',
    ]);
  });

  it('stops alias expansion past the limit when aliases nest (billion laughs)', () => {
    const bomb = [
      'name: tickets',
      'tenant: acme',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    expect(issuesOf(bomb)).toEqual(['configs/acme/tickets.yaml:4:8: too many YAML alias expansions (more than 100); write the values out instead']);
  });

  it('accepts anchors and aliases used a few times', () => {
    const text = 'name: tickets\ntenant: acme\nservers:\n  - name: a\n    config: &cfg {base: "http://x"}\n  - name: b\n    config: *cfg\n';
    const r = parseConfigText(FILE, text);
    expect(r.issues).toEqual([]);
    expect(r.doc?.servers?.[1]?.config?.base).toBe('http://x');
  });

  it('reports an unknown key at the key with a suggestion when a known key is close', () => {
    expect(issuesOf('name: tickets\ntenant: acme\ntools:\n  - name: get\n    method: GET\n    endpiont: http://x/\n')).toEqual([
      'configs/acme/tickets.yaml:4:5: tools[0]: missing required key "endpoint"',
      'configs/acme/tickets.yaml:6:5: tools[0]: unknown key "endpiont" (did you mean "endpoint"?)',
    ]);
  });

  it('reports an unknown key without a suggestion when no known key is close', () => {
    expect(issuesOf('name: tickets\ntenant: acme\nflavour: mint\n')).toEqual(['configs/acme/tickets.yaml:3:1: unknown key "flavour"']);
  });

  it('points a missing required key at the map that lacks it', () => {
    expect(issuesOf('name: tickets\ntenant: acme\nrouters:\n  - server: api\n')).toEqual([
      'configs/acme/tickets.yaml:4:5: routers[0]: missing required key "prefix"',
    ]);
  });

  it('lists the allowed values when an enum value is wrong', () => {
    expect(issuesOf('name: tickets\ntenant: acme\nmcpServers:\n  - {name: x, type: stdoi, command: run}\n')).toEqual([
      'configs/acme/tickets.yaml:4:21: mcpServers[0].type: must be one of stdio, sse, streamable-http (got "stdoi")',
    ]);
  });

  it('names the expected and the actual kind when a value has the wrong type', () => {
    expect(issuesOf('name: tickets\ntenant: acme\nservers:\n  - name: api\n    description: 42\n')).toEqual([
      'configs/acme/tickets.yaml:5:18: servers[0].description: must be a string (got number)',
    ]);
  });

  it('says "must be an integer" when a number has a fraction', () => {
    expect(issuesOf('name: tickets\ntenant: acme\ntools:\n  - {name: a, method: GET, endpoint: x, maxResponseBytes: 1.5}\n')).toEqual([
      'configs/acme/tickets.yaml:4:59: tools[0].maxResponseBytes: must be an integer (got 1.5)',
    ]);
  });

  it('explains the name rule instead of printing the pattern', () => {
    expect(issuesOf('name: my tickets\ntenant: acme\n')).toEqual([
      'configs/acme/tickets.yaml:1:7: name: must start with a letter or digit and contain only letters, digits, "_", "." or "-" (got "my tickets")',
    ]);
  });

  it('reports one issue for a value that matches no member of a union', () => {
    expect(issuesOf('name: tickets\ntenant: acme\ntools:\n  - {name: a, method: GET, endpoint: x, timeout: soon}\n')).toEqual([
      'configs/acme/tickets.yaml:4:50: tools[0].timeout: must be a duration: milliseconds, or a string such as "500ms", "10s", "2m" (got "soon")',
    ]);
  });

  it('points a null value at its key', () => {
    expect(issuesOf('name: tickets\ntenant:\n')).toEqual(['configs/acme/tickets.yaml:2:1: tenant: must be a string (got null)']);
  });

  it('reports an empty file as an empty document', () => {
    expect(issuesOf('')).toEqual(['configs/acme/tickets.yaml:1:1: empty document (expected a map with at least "name" and "tenant")']);
  });

  it('reports a comment-only file as an empty document', () => {
    expect(issuesOf('# nothing yet\n')).toEqual(['configs/acme/tickets.yaml:1:1: empty document (expected a map with at least "name" and "tenant")']);
  });

  it('rejects a document that is a list', () => {
    expect(issuesOf('- name: tickets\n')).toEqual(['configs/acme/tickets.yaml:1:1: the document must be a map (got list)']);
  });

  it('warns about an unknown YAML tag and still loads the document', () => {
    const r = parseConfigText(FILE, 'name: tickets\ntenant: acme\nservers:\n  - name: api\n    description: !secret x\n');
    expect(r.issues.map(formatIssue)).toEqual(['configs/acme/tickets.yaml:5:18: warning: unknown YAML tag "!secret"; the value is read as a string']);
    expect(r.doc?.servers?.[0]?.description).toBe('x');
  });

  it('keeps ${VAR} text as written instead of expanding it', () => {
    process.env.GW_LOAD_TEST_VAR = 'expanded';
    const r = parseConfigText(FILE, 'name: tickets\ntenant: acme\nservers:\n  - name: api\n    description: ${GW_LOAD_TEST_VAR}\n');
    expect(r.doc?.servers?.[0]?.description).toBe('${GW_LOAD_TEST_VAR}');
  });

  it('reads YAML 1.2 scalars, so yes/no stay strings', () => {
    const r = parseConfigText(FILE, 'name: tickets\ntenant: acme\nservers:\n  - name: api\n    description: yes\n');
    expect(r.doc?.servers?.[0]?.description).toBe('yes');
  });
});

describe('YamlSource.mapInString', () => {
  const at = (text: string, path: (string | number)[], line: number, col: number) => parseYaml(FILE, text).source.mapInString(path, line, col);

  it('maps a line of a |- block scalar to the file line below the indicator', () => {
    expect(at('a: 1\nbody: |-\n  first\n  second {{ x\n', ['body'], 2, 8)).toEqual({ line: 4, col: 10 });
  });

  it('adds the column offset of a plain one-line scalar', () => {
    expect(at('endpoint: http://x/{{ evn }}\n', ['endpoint'], 1, 14)).toEqual({ line: 1, col: 24 });
  });

  it('skips the quote and undoes escapes in a double-quoted scalar', () => {
    // Value: a"b {{ x  — column 6 is the first "{" of "{{".
    expect(at('h: "a\\"b {{ x"\n', ['h'], 1, 5)).toEqual({ line: 1, col: 10 });
  });

  it('counts a doubled quote as one character in a single-quoted scalar', () => {
    expect(at("h: 'it''s {{ x'\n", ['h'], 1, 6)).toEqual({ line: 1, col: 11 });
  });
});

describe('loadConfigDir', () => {
  it('loads .yaml and .yml documents and ignores other files', async () => {
    const root = await tree({
      'configs/acme/a.yaml': 'name: a\ntenant: acme\n',
      'configs/acme/b.yml': 'name: b\ntenant: acme\n',
      'configs/acme/notes.txt': 'not: [yaml',
      'configs/acme/README.md': '# docs\n',
      'configs/.hidden/x.yaml': 'broken: [',
    });
    const r = await loadConfigDir(root);
    expect(r.issues).toEqual([]);
    expect(r.files).toBe(2);
    expect(r.configs.map((c) => c.file)).toEqual(['configs/acme/a.yaml', 'configs/acme/b.yml']);
  });

  it('keeps the text of each document unchanged', async () => {
    const text = '# comment\nname: a\ntenant: acme\n';
    const r = await loadConfigDir(await tree({ 'configs/acme/a.yaml': text }));
    expect(r.configs[0]?.text).toBe(text);
  });

  it('reports one issue when the root has no configs directory', async () => {
    const r = await loadConfigDir(await tree({ 'README.md': 'x' }));
    expect(r.issues.map(formatIssue)).toEqual(['configs/:1:1: directory not found (documents live in configs/<tenant>/<name>.yaml)']);
    expect(r.files).toBe(0);
  });

  it('reports a YAML file placed directly under configs/', async () => {
    const r = await loadConfigDir(await tree({ 'configs/a.yaml': 'name: a\ntenant: acme\n' }));
    expect(r.issues.map(formatIssue)).toEqual(['configs/a.yaml:1:1: misplaced config file: documents live in configs/<tenant>/<name>.yaml']);
  });

  it('warns about and skips symbolic links', async () => {
    const root = await tree({ 'outside.yaml': 'name: a\ntenant: acme\n', 'configs/acme/real.yaml': 'name: real\ntenant: acme\n' });
    await symlink(join(root, 'outside.yaml'), join(root, 'configs/acme/a.yaml'));
    const r = await loadConfigDir(root);
    expect(r.issues.map(formatIssue)).toEqual([
      'configs/acme/a.yaml:1:1: warning: symbolic link ignored (links could read files outside the repository)',
    ]);
    expect(r.configs.map((c) => c.file)).toEqual(['configs/acme/real.yaml']);
  });

  it('keeps loading the other documents when one is broken', async () => {
    const r = await loadConfigDir(await tree({ 'configs/acme/a.yaml': 'name: [', 'configs/acme/b.yaml': 'name: b\ntenant: acme\n' }));
    expect(r.configs.map((c) => c.file)).toEqual(['configs/acme/b.yaml']);
    expect(r.issues).toHaveLength(1);
  });
});
