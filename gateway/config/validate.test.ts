import { afterAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatIssue } from './issues.ts';
import { LoadCache, type LoadedConfig, parseConfigText } from './load.ts';
import { checkConfigs, envReferences, loadAndValidate, prefixProblem, validateConfigs } from './validate.ts';

const FIXTURES = join(import.meta.dir, '..', '..', 'test', 'fixtures');

const temps: string[] = [];
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'gw-validate-'));
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

/** Parses in-memory documents (as the console does on save) and validates them together. */
function loaded(files: Record<string, string>): LoadedConfig[] {
  return Object.entries(files).map(([file, text]) => {
    const r = parseConfigText(file, text);
    if (!r.doc) throw new Error(`${file} does not parse: ${r.issues.map(formatIssue).join('; ')}`);
    return { file, doc: r.doc, text, source: r.source };
  });
}
const validate = (files: Record<string, string>) => validateConfigs(loaded(files)).map(formatIssue);

/**
 * Every case under test/fixtures/broken/<case>/ is a tiny repo root; the list is the exact output of
 * `bun run validate` for it, in order.
 */
const BROKEN: Record<string, string[]> = {
  'alias-bomb': ['configs/acme/tickets.yaml:6:23: too many YAML alias expansions (more than 100); write the values out instead'],
  // Block style: the loader's fast path (Bun's parser, which does not cap aliases) must leave it alone.
  'alias-bomb-block': ['configs/acme/tickets.yaml:7:9: too many YAML alias expansions (more than 100); write the values out instead'],
  'allowed-tools-missing-tool': ['configs/acme/tickets.yaml:5:32: servers[0].allowedTools[1]: unknown tool "delete_ticket"'],
  'bad-enum-mcpserver-type': ['configs/acme/tickets.yaml:5:11: mcpServers[0].type: must be one of stdio, sse, streamable-http (got "websocket")'],
  'bad-enum-policy': ['configs/acme/tickets.yaml:7:13: mcpServers[0].policy: must be one of onStart, onDemand (got "always")'],
  'bad-enum-position': [
    'configs/acme/tickets.yaml:8:30: tools[0].args[0].position: must be one of header, query, path, body, form-data (got "bdy")',
  ],
  'bad-enum-type': [
    'configs/acme/tickets.yaml:10:15: tools[0].args[0].type: must be one of string, number, integer, boolean, array, object (got "strng")',
  ],
  'bad-method': ['configs/acme/tickets.yaml:5:13: tools[0].method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (got "FETCH")'],
  'bad-name-pattern': [
    'configs/acme/tickets.yaml:4:11: servers[0].name: must start with a letter or digit and contain only letters, digits, "_", "." or "-" (got "ticket api")',
    'configs/acme/tickets.yaml:6:11: tools[0].name: must start with a letter, digit or "_" and contain only letters, digits, "_", "." or "-" (got "-get")',
  ],
  'default-incompatible': [
    'configs/acme/tickets.yaml:8:64: tools[0].args[0].default: "abc" is not an integer (type is "integer")',
    'configs/acme/tickets.yaml:10:61: tools[0].args[2].default: "[1," is not a list (type is "array")',
    'configs/acme/tickets.yaml:11:62: tools[0].args[3].default: "asc" is not one of the enum values',
  ],
  'duplicate-arg-names': [
    'configs/acme/tickets.yaml:9:16: tools[0].args[1].name: duplicate argument name "id" (first defined at line 8)',
    'configs/acme/tickets.yaml:14:16: prompts[0].arguments[1].name: duplicate argument name "id" (first defined at line 13)',
  ],
  'duplicate-key': ['configs/acme/tickets.yaml:7:5: tools[0]: duplicate key "method"'],
  // Bun's parser keeps the last of duplicate keys; the loader's fast path must leave these to the yaml library.
  'duplicate-key-flow': ['configs/acme/tickets.yaml:12:52: tools[0].args[0]: duplicate key "position"'],
  'duplicate-key-quoted': ['configs/acme/tickets.yaml:16:7: tools[0].headers: duplicate key "Authorization"'],
  'duplicate-server-name': ['configs/acme/tickets.yaml:5:11: servers[1].name: duplicate server name "api" (first defined at line 4)'],
  'duplicate-tool-name': ['configs/acme/tickets.yaml:7:11: tools[1].name: duplicate tool name "get" (first defined at line 4)'],
  'empty-file': ['configs/acme/tickets.yaml:1:1: empty document (expected a map with at least "name" and "tenant")'],
  'enum-type-mismatch': ['configs/acme/tickets.yaml:8:66: tools[0].args[0].enum[1]: must be an integer to match type "integer" (got "20")'],
  'items-on-non-array': ['configs/acme/tickets.yaml:11:16: tools[0].args[0].items: only allowed when type is "array" (type is "string")'],
  // YAML 1.2 has no merge keys (Bun's parser would merge silently).
  'merge-key': ['configs/acme/tickets.yaml:8:5: servers[0]: unknown key "<<"'],
  'misplaced-file': ['configs/tickets.yaml:1:1: misplaced config file: documents live in configs/<tenant>/<name>.yaml'],
  'missing-configs-dir': ['configs/:1:1: directory not found (documents live in configs/<tenant>/<name>.yaml)'],
  'missing-required-key': ['configs/acme/tickets.yaml:4:5: tools[0]: missing required key "endpoint"'],
  'multi-document': ['configs/acme/tickets.yaml:3:1: multiple YAML documents in one file (a config file holds exactly one document)'],
  'non-yaml-ignored': ['configs/acme/tickets.yml:3:8: tools: must be a list (got number)'],
  'prefix-duplicated': [
    'configs/acme/first.yaml:5:13: routers[0].prefix: prefix "/shared" is also used by configs/beta/second.yaml:7',
    'configs/beta/second.yaml:7:13: routers[0].prefix: prefix "/shared" is already used by configs/acme/first.yaml:5',
  ],
  'prefix-ends-in-mcp': [
    'configs/acme/tickets.yaml:5:13: routers[0].prefix: must not end in "/mcp" (an endpoint name): "/acme/mcp" would also be the mcp endpoint of prefix "/acme"',
    'configs/acme/tickets.yaml:7:13: routers[1].prefix: must not end in "/sse" (an endpoint name): "/acme/x/sse" would also be the sse endpoint of prefix "/acme/x"',
  ],
  'prefix-malformed': [
    'configs/acme/tickets.yaml:4:27: routers[0].prefix: must start with "/" (got "acme/a")',
    'configs/acme/tickets.yaml:5:27: routers[1].prefix: must not contain an empty segment (got "/acme//b")',
    'configs/acme/tickets.yaml:6:27: routers[2].prefix: must not contain "." or ".." segments (got "/acme/../c")',
    'configs/acme/tickets.yaml:7:27: routers[3].prefix: segment "d e" may only contain letters, digits, ".", "_", "~" or "-"',
  ],
  'router-missing-server': ['configs/acme/tickets.yaml:4:13: routers[0].server: no server or mcpServer named "tikets" (did you mean "tickets"?)'],
  'server-upstream-name-collision': [
    'configs/acme/tickets.yaml:6:11: mcpServers[0].name: "api" is also the name of servers[0] (line 4); routers could not tell them apart',
  ],
  'sse-without-url': [
    'configs/acme/tickets.yaml:4:5: mcpServers[0]: missing required key "url" (sse upstreams connect to a URL)',
    'configs/acme/tickets.yaml:6:5: mcpServers[0].command: only stdio upstreams run a command (type is "sse")',
    'configs/acme/tickets.yaml:9:10: mcpServers[1].url: must be an http or https URL (got "ftp://example.com/mcp")',
  ],
  'stdio-without-command': [
    'configs/acme/tickets.yaml:4:5: mcpServers[0]: missing required key "command" (stdio upstreams run a command)',
    'configs/acme/tickets.yaml:6:5: mcpServers[0].url: only sse and streamable-http upstreams connect to a url (type is "stdio")',
  ],
  'template-response-in-request': ['configs/acme/tickets.yaml:8:24: tools[0].requestBody: .Response is only available in responseBody'],
  'template-syntax-in-block': ['configs/acme/tickets.yaml:12:17: tools[0].requestBody: missing {{end}} for {{range}}'],
  'template-unclosed-action-header': ['configs/acme/tickets.yaml:8:30: tools[0].headers.Authorization: unclosed action'],
  'template-unknown-function': ['configs/acme/tickets.yaml:6:19: tools[0].endpoint: unknown function "evn"'],
  'template-unknown-root': [
    'configs/acme/tickets.yaml:6:46: tools[0].endpoint: unknown field ".Argz" (templates see .Args, .Config, .Request, .Response)',
  ],
  'tenant-name-mismatch': [
    'configs/acme/tickets.yaml:1:7: name: must equal the file name "tickets" (got "ticket")',
    'configs/acme/tickets.yaml:2:9: tenant: must equal the directory name "acme" (got "acme-corp")',
  ],
  'unknown-key': ['configs/acme/tickets.yaml:3:1: unknown key "color"'],
  'unknown-key-did-you-mean': ['configs/acme/tickets.yaml:5:5: tools[0]: unknown key "descripton" (did you mean "description"?)'],
  'upstream-template-fields': [
    'configs/acme/tickets.yaml:6:18: servers[0].config.token: .Config is not available in server config values (they see .Args, .Request)',
    'configs/acme/tickets.yaml:10:21: mcpServers[0].url: .Args is not available in mcpServers url (they see no fields; use functions such as env)',
    'configs/acme/tickets.yaml:15:18: mcpServers[1].env.TOKEN: .Response is only available in responseBody',
  ],
  warnings: [
    'configs/acme/tickets.yaml:8:25: warning: routers[0].cors.allowCredentials: allowCredentials with allowOrigins "*" lets any web site make credentialed calls; list the allowed origins instead',
    'configs/acme/tickets.yaml:17:19: warning: tools[0].endpoint: .Config.bsae is not set by server "api" (did you mean "base"?)',
    'configs/acme/tickets.yaml:19:16: warning: tools[0].args[0].name: path argument "id" is not used in the endpoint',
    'configs/acme/tickets.yaml:20:32: warning: tools[0].args[1].position: body argument "body" is not sent: the tool has no requestBody',
  ],
  'wrong-type': [
    'configs/acme/tickets.yaml:10:19: tools[0].args[0].required: must be true or false (got string)',
    'configs/acme/tickets.yaml:11:38: tools[0].proxy.port: must be an integer (got string)',
  ],
  'wrong-type-list': ['configs/acme/tickets.yaml:4:3: routers: must be a list (got map)'],
  'yaml-syntax-error': [
    'configs/acme/tickets.yaml:4:1: invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
};

describe('validate: broken fixtures', () => {
  it('has a fixture directory for every case and a case for every fixture directory', async () => {
    const dirs = (await Array.fromAsync(new Bun.Glob('*').scan({ cwd: join(FIXTURES, 'broken'), onlyFiles: false }))).sort();
    expect(dirs).toEqual(Object.keys(BROKEN).sort());
    expect(dirs.length).toBeGreaterThanOrEqual(30);
  });

  for (const [name, expected] of Object.entries(BROKEN)) {
    it(`reports exactly the expected issues when the repo is ${name}`, async () => {
      const result = await loadAndValidate(join(FIXTURES, 'broken', name));
      expect(result.issues.map(formatIssue)).toEqual(expected);
    });
  }
});

describe('validate', () => {
  const doc = (tenant: string, name: string, prefix: string) =>
    `name: ${name}\ntenant: ${tenant}\nrouters:\n  - {server: api, prefix: "${prefix}"}\nservers:\n  - name: api\n`;

  it('reports no issues for the valid fixtures', async () => {
    const result = await loadAndValidate(join(FIXTURES, 'valid'));
    expect(result.issues.map(formatIssue)).toEqual([]);
    expect(result.files).toBe(2);
  });

  it('reports no issues for a tree of good configs built in a temp dir', async () => {
    const root = await tree({
      'configs/acme/a.yaml': doc('acme', 'a', '/acme/a'),
      'configs/acme/b.yml': doc('acme', 'b', '/acme/a/b'),
      'configs/beta/c.yaml': [
        'name: c',
        'tenant: beta',
        'routers:',
        '  - {server: api, prefix: /beta/c}',
        'servers:',
        '  - name: api',
        '    allowedTools: [get]',
        '    config: {base: "https://beta.example", key: "{{ env \\"BETA_KEY\\" }}"}',
        'tools:',
        '  - name: get',
        '    method: get',
        '    endpoint: "{{ .Config.base }}/items/{{ .Args.id }}"',
        '    headers: {X-Key: "{{ .Config.key }}"}',
        '    args: [{name: id, position: path, required: true}]',
        '    responseBody: "{{ .Response.Body }}"',
      ].join('\n'),
    });
    const result = await loadAndValidate(root);
    expect(result.issues.map(formatIssue)).toEqual([]);
    expect(result.configs.map((c) => c.file)).toEqual(['configs/acme/a.yaml', 'configs/acme/b.yml', 'configs/beta/c.yaml']);
  });

  it('collects the names passed to env per config', async () => {
    const result = await loadAndValidate(join(FIXTURES, 'valid'));
    expect(result.configs.map((c) => [c.file, c.envNames])).toEqual([
      ['configs/acme/tickets.yaml', ['GH_TOKEN', 'TICKETS_TOKEN']],
      ['configs/demo/echo.yml', []],
    ]);
  });

  it('validates documents held in memory, as the console does on save', () => {
    expect(validate({ 'configs/acme/a.yaml': doc('acme', 'a', '/acme/a') })).toEqual([]);
  });

  it('treats a trailing slash as the same prefix', () => {
    expect(validate({ 'configs/acme/a.yaml': doc('acme', 'a', '/x/'), 'configs/acme/b.yaml': doc('acme', 'b', '/x') })).toEqual([
      'configs/acme/a.yaml:4:27: routers[0].prefix: prefix "/x" is also used by configs/acme/b.yaml:4',
      'configs/acme/b.yaml:4:27: routers[0].prefix: prefix "/x" is already used by configs/acme/a.yaml:4',
    ]);
  });

  const authDoc = (auth: string) => `name: a\ntenant: acme\nrouters:\n  - server: api\n    prefix: /acme/a\n    auth: ${auth}\nservers:\n  - name: api\n`;

  it('requires an audience with an auth issuer, and refuses an issuer that is not an http(s) URL', () => {
    expect(validate({ 'configs/acme/a.yaml': authDoc('{mode: oauth2, issuer: "https://as.example"}') })).toEqual([
      'configs/acme/a.yaml:6:11: routers[0].auth.audience: required with issuer: the expected aud claim, usually the router\'s public URL (https://host<prefix>/mcp)',
    ]);
    expect(validate({ 'configs/acme/a.yaml': authDoc('{mode: oauth2, issuer: "ftp://as.example", audience: x}') })).toEqual([
      'configs/acme/a.yaml:6:34: routers[0].auth.issuer: must be an https URL (got "ftp://as.example")',
    ]);
    expect(validate({ 'configs/acme/a.yaml': authDoc('{mode: oauth2, issuer: "https://as.example", audience: "https://gw/acme/a/mcp", requiredScopes: [mcp]}') })).toEqual([]);
  });

  it('warns that a router with auth but no issuer is not served', () => {
    expect(validate({ 'configs/acme/a.yaml': authDoc('{mode: oauth2}') })).toEqual([
      'configs/acme/a.yaml:6:11: warning: routers[0].auth: without issuer the router is not served (the gateway has no authorization server of its own)',
    ]);
  });

  it('allows nested prefixes', () => {
    expect(validate({ 'configs/acme/a.yaml': doc('acme', 'a', '/a'), 'configs/acme/b.yaml': doc('acme', 'b', '/a/b') })).toEqual([]);
  });

  it('reports two files defining the same tenant and name', () => {
    expect(validate({ 'configs/acme/a.yaml': doc('acme', 'a', '/a'), 'configs/acme/a.yml': doc('acme', 'a', '/b') })).toEqual([
      'configs/acme/a.yml:1:7: name: config "acme/a" is already defined by configs/acme/a.yaml:1',
    ]);
  });

  it('sorts issues by file, line and column', () => {
    const issues = validateConfigs(
      loaded({ 'configs/b/b.yaml': doc('x', 'y', 'bad'), 'configs/a/a.yaml': doc('a', 'z', '/ok/mcp') }),
    ).map((i) => `${i.file}:${i.line}:${i.col}`);
    expect(issues).toEqual([...issues].sort((p, q) => p.localeCompare(q, 'en', { numeric: true })));
    expect(issues).toHaveLength(5);
  });

  it('points a template error inside a quoted scalar with escapes at the failing character', () => {
    const text = 'name: a\ntenant: acme\ntools:\n  - name: t\n    method: GET\n    endpoint: "http://x/\\"{{ evn }}"\n';
    expect(validate({ 'configs/acme/a.yaml': text })).toEqual(['configs/acme/a.yaml:6:30: tools[0].endpoint: unknown function "evn"']);
  });

  it('warns at proxy.type when a tool asks for a socks5 proxy, and reports a proxy host that is a URL', () => {
    const proxyDoc = (proxy: string) =>
      `name: a\ntenant: acme\ntools:\n  - name: t\n    method: GET\n    endpoint: "http://x/"\n    proxy: ${proxy}\n`;
    expect(validate({ 'configs/acme/a.yaml': proxyDoc('{host: proxy.corp, port: 1080, type: socks5}') })).toEqual([
      'configs/acme/a.yaml:7:49: warning: tools[0].proxy.type: socks5 proxies are not supported: calls to this tool fail without sending the request',
    ]);
    expect(validate({ 'configs/acme/a.yaml': proxyDoc('{host: "http://proxy.corp", port: 3128, type: http}') })).toEqual([
      'configs/acme/a.yaml:7:19: tools[0].proxy.host: must be a host name or an IP address, without scheme or port (got "http://proxy.corp")',
    ]);
    for (const host of ['proxy.corp', '10.0.0.1', '"::1"', '"[fd00::1]"']) {
      expect(validate({ 'configs/acme/a.yaml': proxyDoc(`{host: ${host}, port: 3128, type: https}`) })).toEqual([]);
    }
  });

  it('validates 100 documents with 1,000 tools well under a second', () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 100; d++) {
      const tools = Array.from({ length: 10 }, (_, t) =>
        [
          `  - name: tool${t}`,
          '    method: POST',
          `    endpoint: "{{ .Config.base }}/items/{{ .Args.id }}/t${t}"`,
          '    headers: {Authorization: "Bearer {{ .Config.token }}"}',
          '    args:',
          '      - {name: id, position: path, required: true}',
          '      - {name: body, position: body, type: object, default: "{}"}',
          `    requestBody: '{"n": ${t}, "body": {{ toJSON .Args.body }}}'`,
          `    responseBody: "{{ .Response.Body }} ${t}"`,
        ].join('\n'),
      );
      files[`configs/t${d}/c.yaml`] = [
        'name: c',
        `tenant: t${d}`,
        'routers:',
        `  - {server: api, prefix: /t${d}/c}`,
        'servers:',
        '  - name: api',
        `    config: {base: "https://api${d}.example", token: '{{ env "TOKEN_${d}" }}'}`,
        'tools:',
        ...tools,
      ].join('\n');
    }
    // Warm the parsers' JIT on a few documents first: reloads run in a warm process.
    checkConfigs(loaded(Object.fromEntries(Object.entries(files).slice(0, 5))));
    const start = performance.now();
    const configs = loaded(files);
    const result = checkConfigs(configs);
    const ms = performance.now() - start;
    expect(result.issues).toEqual([]);
    expect(configs.reduce((n, c) => n + (c.doc.tools?.length ?? 0), 0)).toBe(1000);
    expect(ms).toBeLessThan(1000);
  });
});

describe('loadAndValidate across reloads', () => {
  const doc = (tenant: string, name: string, prefix: string) =>
    `name: ${name}\ntenant: ${tenant}\nrouters:\n  - {server: api, prefix: "${prefix}"}\nservers:\n  - name: api\n`;

  it('reports a prefix conflict at both places when only one of the two documents changed', async () => {
    const root = await tree({ 'configs/acme/a.yaml': doc('acme', 'a', '/x'), 'configs/acme/b.yaml': doc('acme', 'b', '/y') });
    const cache = new LoadCache();
    expect((await loadAndValidate(root, { cache })).issues).toEqual([]);
    await writeFile(join(root, 'configs/acme/b.yaml'), doc('acme', 'b', '/x'));
    expect((await loadAndValidate(root, { cache })).issues.map(formatIssue)).toEqual([
      'configs/acme/a.yaml:4:27: routers[0].prefix: prefix "/x" is also used by configs/acme/b.yaml:4',
      'configs/acme/b.yaml:4:27: routers[0].prefix: prefix "/x" is already used by configs/acme/a.yaml:4',
    ]);
  });

  it('reports the issues of an unchanged document again, at the same places', async () => {
    const cache = new LoadCache();
    const root = join(FIXTURES, 'broken', 'warnings');
    const first = (await loadAndValidate(root, { cache })).issues.map(formatIssue);
    const second = await loadAndValidate(root, { cache });
    expect(second.issues.map(formatIssue)).toEqual(first);
    expect(first).toEqual(BROKEN.warnings!);
  });

  it('returns the env names of an unchanged document again', async () => {
    const cache = new LoadCache();
    const root = join(FIXTURES, 'valid');
    await loadAndValidate(root, { cache });
    const again = await loadAndValidate(root, { cache });
    expect(again.configs.map((c) => [c.file, c.envNames])).toEqual([
      ['configs/acme/tickets.yaml', ['GH_TOKEN', 'TICKETS_TOKEN']],
      ['configs/demo/echo.yml', []],
    ]);
  });
});

describe('prefixProblem', () => {
  it('accepts a well-formed prefix, with or without a trailing slash', () => {
    expect(prefixProblem('/acme/tickets')).toBeUndefined();
    expect(prefixProblem('/acme/tickets/')).toBeUndefined();
    expect(prefixProblem('/a.b/c~d/e_f-g')).toBeUndefined();
  });

  it('rejects a prefix ending in an endpoint name', () => {
    expect(prefixProblem('/a/message')).toBe('must not end in "/message" (an endpoint name): "/a/message" would also be the message endpoint of prefix "/a"');
  });
});

describe('envReferences', () => {
  it('finds literal names passed to env, as an argument or through a pipe', () => {
    expect(envReferences('{{ env "A" }} {{ env `B` | default "x" }} {{ "C" | env }} {{ env .Args.name }}')).toEqual(['A', 'B', 'C']);
  });
});
