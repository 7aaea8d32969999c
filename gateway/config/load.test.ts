import { afterAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ConfigIssue, formatIssue, formatPath } from './issues.ts';
import { fastParseYaml, LoadCache, loadConfigDir, parseConfigText, parseYaml } from './load.ts';

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

describe('fastParseYaml', () => {
  const slow = (text: string) => parseYaml(FILE, text);

  /** Texts the fast path takes: it must read exactly what the yaml library reads, with no issue. */
  const TAKEN: Record<string, string> = {
    'scalars of the core schema': [
      'a: true',
      'b: false',
      'c: null',
      'd: ~',
      'e: 42',
      'f: -7',
      'g: 0o17',
      'h: 0x1F',
      'i: 1.5e3',
      'j: .inf',
      'k: .nan',
      'l: yes',
      'm: off',
      'n: 2001-12-14',
      'o: 12:30:45',
      'p: 017',
      'q: 1_000',
      'r: +1',
      's: True',
      't: 10s',
      'u: 12345678901234567890',
      'v: ""',
      'w:',
    ].join('\n'),
    'quoted scalars and escapes': 'a: "x\\ty\\n\\x41\\u00e9\\U0001F600\\\\\\"\\/\\0\\e\\N\\_"\nb: \'it\'\'s\'\nc: "# not a comment"\n"d e": 1\n\'f\': 2\n',
    'block scalars': 'a: |\n  x\n    y\n\n  z\nb: |-\n  x\n\nc: |+\n  x\n\nd: >\n  x\n  y\n\n  z\n    w\ne: >-\n  x\n  y\n',
    'block scalars holding YAML-looking text': 'a: |-\n  b: 1\n  b: 2\n  - &x *y !z\n  ---\nc: 3\n',
    'flow collections': 'a: {b: 1, c: [x, "y", \'z\'], d: {}, e: []}\nf: [g: 1, h]\ni: {j, k: 2}\nl: [http://x/y?z=1, a:b]\nm: {"n":1}\no: [p,\n  q,\n  r]\n',
    'sequences and nesting': 'a:\n  - b: 1\n    c:\n      - - x\n        - y\n      - z\n  - d\nb:\n- 1\n- 2\nc: 3\n',
    comments: '# head\na: 1 # tail\nb: x#y\n  # indented\nc: [1, # in flow\n  2]\n',
    'CRLF line ends': 'a: 1\r\nb: |\r\n  x\r\n  y\r\n',
    'a config document': 'name: tickets\ntenant: acme\ntools:\n  - {name: get, method: GET, endpoint: "http://x/{{ .Args.id }}"}\n',
  };

  for (const [name, text] of Object.entries(TAKEN)) {
    it(`reads ${name} as the yaml library does`, () => {
      const expected = slow(text);
      expect(expected.issues).toEqual([]);
      const fast = fastParseYaml(text);
      expect(fast).toBeDefined();
      expect(Bun.deepEquals(fast, expected.value, true)).toBe(true);
    });
  }

  /** Texts the fast path must leave to the yaml library: Bun reads them differently, or they have issues. */
  const DECLINED: Record<string, string> = {
    'a duplicate key': 'a: 1\nb: 2\na: 3\n',
    'a duplicate key in a nested map': 'a:\n  x: 1\n  y: 2\n  x: 3\n',
    'a duplicate key in a flow map': 'a: [{x: 1, y: 2, x: 3}]\n',
    'a duplicate key spelled once plain and once quoted': 'a: 1\n"a": 2\n',
    'a duplicate key in a compact map of a sequence': '- x: 1\n  x: 2\n',
    'a duplicate key hidden behind a dropped one': 'a: 1\na: 2\nb: {}\n',
    'a merge key': 'a:\n  <<: {x: 1}\n',
    'an anchor and an alias': 'a: &x 1\nb: *x\n',
    'an alias bomb': 'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n',
    'a tag': 'a: !secret x\n',
    'a standard tag': 'a: !!int "1"\n',
    'several documents': 'a: 1\n---\nb: 2\n',
    'a directive': '%YAML 1.2\n---\na: 1\n',
    'an explicit key': '? a\n: 1\n',
    'a null key': 'null: 1\n',
    'a key over 1024 characters': `${'k'.repeat(1100)}: 1\n`,
    'an empty document': '',
    'a comment-only document': '# nothing\n',
    'a list document': '- a\n',
    'a tab as indentation': 'a:\n\tb: 1\n',
    'a multi-line plain scalar': 'a: x\n  y\n',
    'a multi-line quoted scalar': 'a: "x\n  y"\n',
    'a block scalar with an explicit indentation': 'a: |2\n   x\n',
    'a syntax error': 'a: [x\nb: 1\n',
    'a nested mapping on one line': 'a: b: c\n',
    'a bad indentation': 'a:\n  b: 1\n c: 2\n',
    'a byte order mark': '\ufeffa: 1\n',
  };

  for (const [name, text] of Object.entries(DECLINED)) {
    it(`leaves ${name} to the yaml library`, () => {
      expect(fastParseYaml(text)).toBeUndefined();
    });
  }

  it('agrees with the yaml library on random edits of every YAML file in the repository', async () => {
    const texts: string[] = [];
    const root = join(import.meta.dir, '..', '..');
    for (const pattern of ['test/fixtures/**/*.{yaml,yml}', 'config-repo/configs/**/*.{yaml,yml}']) {
      for await (const file of new Bun.Glob(pattern).scan({ cwd: root })) texts.push(await Bun.file(join(root, file)).text());
    }
    expect(texts.length).toBeGreaterThan(40);
    const pieces = [' ', '-', ':', ': ', '#', '"', "'", '[', ']', '{', '}', ',', '\n', '\n  ', '|', '&a ', '*a', '!', '?', '\t', '<<', '- ', 'a: 1\n'];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let taken = 0;
    for (let k = 0; k < 1500; k++) {
      let text = texts[random(texts.length)]!;
      for (let m = 1 + random(2); m > 0; m--) {
        const at = random(text.length + 1);
        const lines = text.split('\n');
        switch (random(4)) {
          case 0:
            text = text.slice(0, at) + text.slice(at + 1 + random(3));
            break;
          case 1:
            text = text.slice(0, at) + pieces[random(pieces.length)] + text.slice(at);
            break;
          case 2:
            lines.splice(random(lines.length), 0, lines[random(lines.length)]!);
            text = lines.join('\n');
            break;
          default: {
            const i = random(lines.length);
            lines[i] = random(2) ? ` ${lines[i]}` : lines[i]!.replace(/^ /, '');
            text = lines.join('\n');
          }
        }
      }
      const fast = fastParseYaml(text);
      if (fast === undefined) continue;
      taken++;
      const expected = slow(text);
      if (expected.issues.length > 0 || !Bun.deepEquals(fast, expected.value, true)) {
        throw new Error(`fast path differs on:\n${text}\nissues: ${expected.issues.map(formatIssue).join('; ')}`);
      }
    }
    // Most edits break the document; enough of them still take the fast path to mean something.
    expect(taken).toBeGreaterThan(250);
  }, 30_000);

  it('leaves the positions of a document it read to be parsed when first asked for', () => {
    const text = 'name: tickets\ntenant: acme\nservers:\n  - name: api\n';
    const r = parseConfigText(FILE, text);
    expect(r.issues).toEqual([]);
    expect(r.source.locate(['servers', 0, 'name'])).toEqual(parseYaml(FILE, text).source.locate(['servers', 0, 'name']));
    expect(r.source.locate(['servers', 0, 'name'])).toEqual({ line: 4, col: 11 });
  });
});

describe('loadConfigDir with a cache', () => {
  const doc = (name: string) => `name: ${name}\ntenant: acme\n`;

  it('hands out the same frozen document while a file is unchanged and a new one once it changes', async () => {
    const root = await tree({ 'configs/acme/a.yaml': doc('a'), 'configs/acme/b.yaml': doc('b') });
    const cache = new LoadCache();
    const first = await loadConfigDir(root, { cache });
    const again = await loadConfigDir(root, { cache });
    expect(again.configs[0]!.doc).toBe(first.configs[0]!.doc);
    expect(again.configs[1]!.doc).toBe(first.configs[1]!.doc);
    expect(Object.isFrozen(first.configs[0]!.doc)).toBe(true);

    await writeFile(join(root, 'configs/acme/b.yaml'), `${doc('b')}# edited\n`);
    const edited = await loadConfigDir(root, { cache });
    expect(edited.configs[0]!.doc).toBe(first.configs[0]!.doc);
    expect(edited.configs[1]!.doc).not.toBe(first.configs[1]!.doc);
    expect(edited.configs[1]!.text).toEndWith('# edited\n');
  });

  it('reports the issues of an unchanged broken file on every load', async () => {
    const root = await tree({ 'configs/acme/a.yaml': 'name: a\ntenant: acme\nname: b\n' });
    const cache = new LoadCache();
    const expected = ['configs/acme/a.yaml:3:1: duplicate key "name"'];
    expect((await loadConfigDir(root, { cache })).issues.map(formatIssue)).toEqual(expected);
    expect((await loadConfigDir(root, { cache })).issues.map(formatIssue)).toEqual(expected);
  });

  it('forgets the files that are gone', async () => {
    const root = await tree({ 'configs/acme/a.yaml': doc('a'), 'configs/acme/b.yaml': doc('b') });
    const cache = new LoadCache();
    await loadConfigDir(root, { cache });
    expect(cache.size).toBe(2);
    await rm(join(root, 'configs/acme/b.yaml'));
    await loadConfigDir(root, { cache });
    expect(cache.size).toBe(1);
  });

  it('keeps a cache per root by default', async () => {
    const root = await tree({ 'configs/acme/a.yaml': doc('a') });
    const first = await loadConfigDir(root);
    expect((await loadConfigDir(root)).configs[0]!.doc).toBe(first.configs[0]!.doc);
  });
});
