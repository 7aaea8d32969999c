import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, FUNCTION_NAMES, type RenderOptions, TemplateError, type TemplateErrorCode } from './index.ts';

const CLOCK = new Date('2024-03-05T07:08:09.120Z');
const OPTS: RenderOptions = { now: () => CLOCK };

/** Data shaped like the gateway's render context for a REST tool. */
const DATA = {
  Config: { base: 'https://api.example.com', token: 'tok' },
  Args: {
    id: 42,
    name: 'Alice Smith',
    tags: ['a', 'b'],
    labels: { env: 'prod', tier: 1 },
    user: { name: 'bob', email: 'b@x' },
    a: true,
    b: 'x',
    empty: '',
    zero: 0,
    nil: null,
    price: 3.5,
    items: '[{"id":1},{"id":2}]',
    big: 1000000,
    nested: { deep: { list: [{ c: 'found' }] } },
  },
  Request: { Headers: { 'X-Id': 'req-1', 'X-User': 'carol' } },
  Response: { Data: { items: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }], total: 2 } },
};

type Case = [name: string, template: string, expected: string, data?: unknown];

const CASES: Case[] = [
  // --- text, fields, printing ---
  ['plain text', 'GET /users', 'GET /users'],
  ['empty template', '', ''],
  ['fields in a URL', '{{ .Config.base }}/users/{{ .Args.id }}', 'https://api.example.com/users/42'],
  ['array prints as JSON', '{{ .Args.tags }}', '["a","b"]'],
  ['object prints as JSON in a JSON body', '{"labels": {{ .Args.labels }}}', '{"labels": {"env":"prod","tier":1}}'],
  ['nested data prints as JSON', '{{ .Response.Data }}', '{"items":[{"id":1,"name":"one"},{"id":2,"name":"two"}],"total":2}'],
  ['$ alone prints the data', '{{ $ }}', '{"a":1}', { a: 1 }],
  ['missing key prints empty', '[{{ .Args.missing }}]', '[]'],
  ['missing chain prints empty', '[{{ .Args.missing.deeper.still }}]', '[]'],
  ['field of a string is nil', '[{{ .Args.name.first }}]', '[]'],
  ['null prints empty', '[{{ .Args.nil }}]', '[]'],
  ['bool prints', '{{ .Args.a }} {{ false }}', 'true false'],
  ['integers print without exponent', '{{ .Args.big }} {{ 3.0 }} {{ 1e3 }}', '1000000 3 1000'],
  ['floats print shortest', '{{ .Args.price }} {{ 0.1 }}', '3.5 0.1'],
  ['small float uses Go exponent', '{{ 0.00001 }}', '1e-05'],
  ['large non-integral float uses Go exponent', '{{ 1234567.5 }}', '1.2345675e+06'],
  ['number literals', "{{ -3 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 'a' }} {{ +2 }} {{ .5 }}", '-3 31 15 5 1000 97 2 0.5'],
  ['string escapes', String.raw`{{ "a\"b\\c\x41\u00e9\101" }}`, 'a"b\\cAéA'],
  ['raw string keeps backslashes', '{{ `a\\nb` }}', 'a\\nb'],
  ['unicode text passes through', 'héllo {{ .Args.user.name }} ✓', 'héllo bob ✓'],
  ['multi-line action', '{{ printf\n  "%s"\n  .Args.user.name }}', 'bob'],

  // --- comments and trim markers ---
  ['comment', 'a{{/* note */}}b', 'ab'],
  ['comment with trim markers', 'a \n {{- /* note */ -}} \n b', 'ab'],
  ['trim markers remove spaces and newlines', 'a  \n{{- .Args.id -}}\n\t b', 'a42b'],
  ['left trim only', 'a  {{- .Args.id }}  b', 'a42  b'],
  ['trim inside range', 'x\n  {{- range .Args.tags }}\n  {{ . }}\n{{- end }}', 'x\n  a\n  b'],
  ['{{-3}} is a number, not a trim marker', 'a {{-3}}', 'a -3'],

  // --- variables ---
  ['declare and print', '{{ $x := .Args.id }}{{ $x }}', '42'],
  ['assignment reaches outer scope', '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', '2'],
  ['declaration shadows inside a block', '{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}', '21'],
  ['accumulate in range', '{{ $n := 0 }}{{ range .l }}{{ $n = add $n . }}{{ end }}{{ $n }}', '6', { l: [1, 2, 3] }],
  ['$ is the root inside range', '{{ range .Args.tags }}{{ $.Args.id }}{{ end }}', '4242'],
  ['field on variable', '{{ $u := .Args.user }}{{ $u.name }}', 'bob'],
  ['if variable visible in else', '{{ if $x := .Args.empty }}a{{ else }}[{{ $x }}]{{ end }}', '[]'],
  ['with variable', '{{ with $u := .Args.user }}{{ $u.email }}{{ end }}', 'b@x'],

  // --- pipelines ---
  ['piped value is the last argument', '{{ .Args.name | printf "%s!" }}', 'Alice Smith!'],
  ['piped after other arguments', '{{ "b" | printf "%s-%s" "a" }}', 'a-b'],
  ['chained pipeline', '{{ .Args.name | lower | printf "%s-x" }}', 'alice smith-x'],
  ['parenthesized arguments', '{{ printf "%s-%s" (upper .Args.user.name) (lower "X") }}', 'BOB-x'],
  ['parenthesized pipeline', '{{ (.Args.name | upper) }}', 'ALICE SMITH'],
  ['field of a parenthesized result', '{{ (index .Response.Data.items 1).name }}', 'two'],
  ['function without arguments as an argument', '{{ len uuidv4 }}', '36'],

  // --- if / with ---
  ['if else', '{{ if .Args.a }}yes{{ else }}no{{ end }}', 'yes'],
  ['else if chain', '{{ if .Args.zero }}a{{ else if .Args.empty }}b{{ else if .Args.name }}c{{ else }}d{{ end }}', 'c'],
  ['if and eq', '{{ if and .Args.a (eq .Args.b "x") }}ok{{ end }}', 'ok'],
  ['empty collections are false', '{{ if .arr }}t{{ else }}f{{ end }}{{ if .obj }}t{{ else }}f{{ end }}{{ if .nz }}t{{ end }}', 'fft', { arr: [], obj: {}, nz: [0] }],
  ['with sets dot', '{{ with .Args.user }}{{ .name }}{{ end }}', 'bob'],
  ['with else', '{{ with .Args.missing }}x{{ else }}none{{ end }}', 'none'],
  ['else with', '{{ with .Args.missing }}a{{ else with .Args.user }}{{ .email }}{{ end }}', 'b@x'],
  ['and returns the first falsy value', '[{{ and 1 .Args.empty 3 }}] {{ and 1 2 3 }}', '[] 3'],
  ['or returns the first truthy value', '{{ or .Args.empty .Args.zero "fallback" }} {{ or 0 "" }}', 'fallback '],
  ['and short-circuits', '[{{ and .Args.missing (index .Args.missing 0) }}]', '[]'],
  ['or short-circuits', '{{ or .Args.a (index .Args.missing 0) }}', 'true'],
  ['not', '{{ not .Args.empty }} {{ not .Args.tags }}', 'true false'],

  // --- range ---
  ['range with index and value', '{{ range $i, $v := .Response.Data.items }}{{ $i }}:{{ $v.id }};{{ end }}', '0:1;1:2;'],
  ['range sets dot', '{{ range .Response.Data.items }}#{{ .id }}{{ end }}', '#1#2'],
  ['range with one variable is the element', '{{ range $v := .Args.tags }}{{ $v }}{{ end }}', 'ab'],
  ['range over a map is sorted by key', '{{ range $k, $v := .m }}{{ $k }}={{ $v }},{{ end }}', 'a=2,b=1,c=3,', { m: { b: 1, a: 2, c: 3 } }],
  ['range over an integer', '{{ range 3 }}{{ . }}{{ end }}|{{ range $i := 2 }}{{ $i }}{{ end }}', '012|01'],
  ['range else on missing', '{{ range .Args.missing }}x{{ else }}empty{{ end }}', 'empty'],
  ['range else on empty array', '{{ range .l }}x{{ else }}none{{ end }}', 'none', { l: [] }],
  ['break', '{{ range .l }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}', '12', { l: [1, 2, 3, 4] }],
  ['continue', '{{ range .l }}{{ if eq (mod . 2) 0 }}{{ continue }}{{ end }}{{ . }}{{ end }}', '135', { l: [1, 2, 3, 4, 5] }],
  ['break in nested range only stops the inner one', '{{ range .l }}{{ range .l }}{{ break }}{{ end }}{{ . }}{{ end }}', '12', { l: [1, 2] }],
  ['fromJSON range idiom', '{{- range $t := fromJSON .Args.items }}[{{ $t.id }}]{{- end }}', '[1][2]'],
  ['nested range with $', '{{ range .Response.Data.items }}{{ range $.Args.tags }}{{ . }}{{ end }}{{ end }}', 'abab'],
  ['range trimmed list idiom', '{{- range $i, $v := .Response.Data.items }}{{ if $i }},{{ end }}#{{ $v.id }}{{ end }}', '#1,#2'],

  // --- define / template / block ---
  ['define and template', '{{ define "item" }}<{{ .id }}>{{ end }}{{ range .Response.Data.items }}{{ template "item" . }}{{ end }}', '<1><2>'],
  ['template without pipeline has nil dot', '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" }}', '[]'],
  ['template $ is its argument', '{{ define "x" }}{{ $.id }}{{ end }}{{ template "x" .Args }}', '42'],
  ['block', '{{ block "b" .Args.id }}({{ . }}){{ end }}', '(42)'],
  ['recursive template', '{{ define "c" }}{{ . }}{{ if gt . 0 }}{{ template "c" (sub . 1) }}{{ end }}{{ end }}{{ template "c" 3 }}', '3210'],

  // --- Go builtins ---
  ['index on headers', '{{ index .Request.Headers "X-Id" }}', 'req-1'],
  ['index with several keys', '{{ index .Args.nested "deep" "list" 0 "c" }}', 'found'],
  ['index missing map key is empty', '[{{ index .Args.labels "nope" }}]', '[]'],
  ['index of a string is a char code', '{{ index "abc" 1 }}', '98'],
  ['len', '{{ len .Args.tags }} {{ len .Args.name }} {{ len .Args.labels }}', '2 11 2'],
  ['slice', '{{ slice .Args.tags 1 }} {{ slice "hello" 1 3 }} {{ slice .Args.tags }}', '["b"] el ["a","b"]'],
  ['eq with several operands', '{{ eq .Args.b "y" "x" }} {{ eq .Args.id 42 }} {{ eq "1" 1 }}', 'true true false'],
  ['eq nil matches missing', '{{ eq .Args.missing nil }} {{ eq .Args.nil nil }}', 'true true'],
  ['eq compares collections', '{{ eq .Args.tags (list "a" "b") }}', 'true'],
  ['comparisons', '{{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2 }} {{ lt 1 1.5 }}', 'true true true true false true'],
  ['printf verbs', '{{ printf "%s|%d|%v|%q|%.2f|%x|%X|%t|%%" "s" 42 .Args.tags "q" 3.14159 255 255 true }}', 's|42|["a","b"]|"q"|3.14|ff|FF|true|%'],
  ['printf width and flags', '{{ printf "[%5s][%-5s][%05d][%+d][%6.2f][%-6d]" "ab" "ab" 42 7 3.14159 -3 }}', '[   ab][ab   ][00042][+7][  3.14][-3    ]'],
  ['printf %e %g %c %o %b %T', '{{ printf "%e %g %g %c %o %b %T %T" 1234.5678 0.000012 100000000.0 65 8 5 "s" .Args.tags }}', '1.234568e+03 1.2e-05 1e+08 A 10 101 string []interface {}'],
  ['printf %d truncates a float', '{{ printf "%d" .Args.price }}', '3'],
  ['printf missing and extra arguments', '{{ printf "%d %d" 1 }}|{{ printf "x" 1 }}', '1 %!d(MISSING)|x%!(EXTRA int=1)'],
  ['printf %v of nil is empty', '[{{ printf "%v" .Args.missing }}]', '[]'],
  ['printf argument index and star width', '{{ printf "%[2]s %[1]s" "a" "b" }}|{{ printf "%*d|%-*d|" 4 7 3 1 }}', 'b a|   7|1  |'],
  ['print adds spaces between non-strings', '{{ print "a" 1 2 "b" }}', 'a1 2b'],
  ['println', '{{ println "a" 1 }}', 'a 1\n'],
  ['html', `{{ html "<a href='x'>&\\"</a>" }}`, '&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;'],
  ['js', String.raw`{{ js "it's \"<b>\"=" }}`, String.raw`it\'s \"\u003Cb\u003E\"\u003D`],
  ['urlquery', '{{ urlquery "a b&c=d/é*" }}', 'a+b%26c%3Dd%2F%C3%A9%2A'],

  // --- seed-system functions ---
  ['toJSON string', '{"name": {{ toJSON .Args.name }}}', '{"name": "Alice Smith"}'],
  ['toJSON object', '{{ toJSON .Args.user }}', '{"name":"bob","email":"b@x"}'],
  ['toJSON of missing is null', '{{ toJSON .Args.missing }}', 'null'],
  ['toJson alias and toPrettyJson', '{{ toJson .Args.tags }}|{{ toPrettyJson .Args.tags }}', '["a","b"]|[\n  "a",\n  "b"\n]'],
  ['fromJSON returns a non-string as is', '{{ fromJSON .Args.tags }}', '["a","b"]'],
  ['fromJson alias with field access', String.raw`{{ (fromJson "{\"a\":{\"b\":7}}").a.b }}`, '7'],
  ['safeGet path', '{{ safeGet "nested.deep.list.0.c" .Args }}', 'found'],
  ['safeGet missing is nil', '[{{ safeGet "nested.x.0" .Args }}][{{ safeGet "name.length" .Args }}][{{ safeGet "a.b" nil }}]', '[][][]'],
  ['safeGetOr', '{{ safeGetOr "nested.nope" .Args "dflt" }} {{ safeGetOr "user.name" .Args "dflt" }}', 'dflt bob'],
  ['env without a lookup is empty', '[{{ env "HOME" }}]', '[]'],

  // --- sprig ---
  ['default', '{{ .Args.missing | default "anon" }} {{ .Args.name | default "anon" }} {{ default "d" .Args.zero }}', 'anon Alice Smith d'],
  ['empty', '{{ empty .Args.empty }} {{ empty .Args.tags }} {{ empty .Args.missing }}', 'true false true'],
  ['coalesce', '{{ coalesce .Args.nil .Args.empty "c" "d" }}', 'c'],
  ['ternary', '{{ ternary "yes" "no" .Args.a }}', 'yes'],
  ['upper lower title', '{{ upper "ab" }} {{ lower "AB" }} {{ title "hello wide-world" }}', 'AB ab Hello Wide-World'],
  ['trim trimPrefix trimSuffix', '[{{ trim "  x \\n" }}] {{ trimPrefix "http://" "http://h" }} {{ "file.txt" | trimSuffix ".txt" }}', '[x] h file'],
  ['replace does not expand $&', '{{ replace "a" "$&" "banana" }}', 'b$&n$&n$&'],
  ['split returns a list', '{{ split "," "a,b,c" }} {{ join "-" (splitList "," "a,b") }}', '["a","b","c"] a-b'],
  ['join skips nil and prints numbers', '{{ join "," (list 1 nil "x" 2.5) }}', '1,x,2.5'],
  ['contains hasPrefix hasSuffix', '{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "x" "hello" }}', 'true true false'],
  ['b64enc b64dec', '{{ b64enc "héllo" }} {{ b64dec "aMOpbGxv" }}', 'aMOpbGxv héllo'],
  ['quote squote', String.raw`{{ quote "a\"b" 1 }} {{ squote "x" }} {{ "tab\there" | quote }}`, String.raw`"a\"b" "1" 'x' "tab\there"`],
  ['conversions', '{{ toString 5 | printf "%q" }} {{ int "42" }} {{ int 3.9 }} {{ int64 "0x10" }} {{ float64 "2.5" }} {{ int "x" }}', '"5" 42 3 16 2.5 0'],
  ['integer arithmetic', '{{ add 1 2 3 }} {{ sub 10 4 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add1 5 }} {{ max 1 9 3 }} {{ min 4 2 8 }}', '6 6 24 3 1 6 9 2'],
  ['float arithmetic', '{{ add 0.5 0.25 }} {{ div 7.5 2.5 }} {{ div -7 2 }} {{ add "2" 3 }}', '0.75 3 -3 5'],
  ['now prints RFC 3339', '{{ now }}', '2024-03-05T07:08:09Z'],
  ['date with Go layouts', '{{ date "2006-01-02T15:04:05Z07:00 Mon Jan _2 3:04PM .000 .999 -0700 MST 002" now }}', '2024-03-05T07:08:09Z Tue Mar  5 7:08AM .120 .12 +0000 UTC 065'],
  ['date piped, long names', '{{ now | date "Monday, January 2, 2006" }}', 'Tuesday, March 5, 2024'],
  ['date of unix seconds and ISO strings', '{{ date "2006-01-02" 0 }} {{ date "02/01/06 15h" "2024-12-25T18:30:00Z" }}', '1970-01-01 25/12/24 18h'],
  ['unixEpoch', '{{ unixEpoch now }}', '1709622489'],
  ['list dict keys hasKey', '{{ list 1 "a" nil }} {{ dict "b" 1 "a" 2 }} {{ keys .Args.labels }} {{ hasKey .Args.labels "env" }} {{ hasKey .Args.labels "constructor" }}', '[1,"a",null] {"b":1,"a":2} ["env","tier"] true false'],
  ['dict as template argument', '{{ define "t" }}{{ .k }}={{ .v }}{{ end }}{{ template "t" (dict "k" "a" "v" 1) }}', 'a=1'],
  ['nospace repeat substr trunc', '{{ nospace " a b\tc " }} {{ repeat 3 "ab" }} {{ substr 1 3 "hello" }} {{ trunc 3 "hello" }} {{ trunc -2 "hello" }}', 'abc ababab el hel lo'],
  ['indent nindent', String.raw`{{ indent 2 "a\nb" }}|{{ nindent 2 "x" }}`, '  a\n  b|\n  x'],
  ['regexMatch', '{{ regexMatch `^[a-z]+\\d$` "abc1" }} {{ regexMatch `(?i)^alice` .Args.name }} {{ regexMatch `^\\pL+$` "héllo" }}', 'true true true'],
  ['regexReplaceAll with Go expansion', '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', '-W-xxW-'],
  ['regexReplaceAll with named groups', '{{ regexReplaceAll `(?P<first>\\w+) (?P<last>\\w+)` .Args.name "${last}, $first" }}', 'Smith, Alice'],
  ['regexFind', '{{ regexFind `\\d+` "ab123cd45" }} {{ regexFindAll `\\d+` "ab123cd45" -1 }}', '123 ["123","45"]'],
  ['sha256sum', '{{ sha256sum "abc" }}', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['case conversion', '{{ snakecase "FirstName" }} {{ kebabcase "HTTPServer" }} {{ camelcase "http_server" }}', 'first_name http-server HttpServer'],

  // --- prototype safety ---
  ['no prototype fields', '[{{ .Args.constructor }}][{{ .Args.__proto__ }}][{{ .toString }}][{{ .Args.hasOwnProperty }}]', '[][][][]'],
  ['no prototype through index or safeGet', '[{{ index .Args "constructor" }}][{{ safeGet "constructor.name" .Args }}]', '[][]'],
  ['a "constructor" string is only a string', '{{ "constructor" }} {{ len "__proto__" }}', 'constructor 9'],
  ['own "constructor" key is data', '{{ .constructor }}', 'mine', { constructor: 'mine' }],
];

function render(source: string, data: unknown = DATA, opts: RenderOptions = OPTS): string {
  return compile(source).render(data, opts);
}

describe('template', () => {
  it('has at least 80 rendering cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CASES.map((c) => c[0])).size).toBe(CASES.length);
  });

  for (const [name, source, expected, data] of CASES) {
    it(`renders ${name}`, () => {
      expect(render(source, data ?? DATA)).toBe(expected);
    });
  }

  it('returns the source itself for a static template', () => {
    const src = 'plain {text} with } braces';
    const t = compile(src);
    expect(t.isStatic).toBe(true);
    expect(t.render(undefined)).toBe(src);
    expect(t.roots.size).toBe(0);
    expect(compile('{{/* only a comment */}}x').isStatic).toBe(false);
    expect(compile('{{/* only a comment */}}x').render(null)).toBe('x');
  });

  it('reports the top-level roots a template reads', () => {
    expect([...compile('{{ .Config.base }}/{{ .Args.id }}{{ with .Args.x }}{{ .Inner }}{{ end }}').roots].sort()).toEqual(['Args', 'Config']);
    expect([...compile('{{ range .Response.items }}{{ $.Request.x }}{{ .id }}{{ end }}').roots].sort()).toEqual(['Request', 'Response']);
    expect(compile('{{ toJSON . }}').roots.has('*')).toBe(true);
    expect(compile('{{ define "x" }}{{ .A }}{{ end }}{{ template "x" .B }}').roots).toEqual(new Set(['B']));
  });

  it('calls functions given in CompileOptions, piped value last', () => {
    const t = compile('{{ .Args.x | wrap "<" ">" }}', { funcs: { wrap: (a: string, b: string, v: unknown) => `${a}${String(v)}${b}` } });
    expect(t.render({ Args: { x: 1 } })).toBe('<1>');
    expect(() => compile('{{ wrap 1 }}')).toThrow('unknown function "wrap"');
  });

  it('lists the built-in function names', () => {
    for (const name of ['index', 'toJSON', 'fromJSON', 'safeGet', 'safeGetOr', 'env', 'default', 'date', 'regexReplaceAll', 'kebabcase']) {
      expect(FUNCTION_NAMES).toContain(name);
    }
    expect(FUNCTION_NAMES).not.toContain('call');
    expect([...FUNCTION_NAMES].sort()).toEqual([...FUNCTION_NAMES]);
  });

  it('renders the same result on repeated renders of one compiled template', () => {
    const t = compile('{{ $n := 0 }}{{ range .l }}{{ $n = add $n . }}{{ end }}{{ $n }}');
    expect(t.render({ l: [1, 2] })).toBe('3');
    expect(t.render({ l: [5] })).toBe('5');
  });
});

describe('template env', () => {
  it('only sees what RenderOptions.env returns', () => {
    process.env.TEMPLATE_TEST_SECRET = 'leak';
    const t = compile('{{ env "API_KEY" }}|{{ env "TEMPLATE_TEST_SECRET" }}|{{ env "HOME" }}');
    const asked: string[] = [];
    const env = (name: string): string | undefined => {
      asked.push(name);
      return name === 'API_KEY' ? 'k-123' : undefined;
    };
    expect(t.render({}, { env })).toBe('k-123||');
    expect(asked).toEqual(['API_KEY', 'TEMPLATE_TEST_SECRET', 'HOME']);
    expect(t.render({})).toBe('||');
    delete process.env.TEMPLATE_TEST_SECRET;
  });
});

describe('template safety', () => {
  it('never evaluates JavaScript: no eval or Function constructor in the engine', () => {
    const dir = import.meta.dir;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src).not.toMatch(/\beval\s*\(|new\s+Function\b|\bFunction\s*\(/);
    }
  });

  it('does not reach prototypes through fields, index or dict', () => {
    const data = { Args: {} };
    expect(render('[{{ .Args.constructor }}][{{ .Args.constructor.name }}][{{ .Args.__proto__ }}][{{ $.constructor }}]', data)).toBe('[][][][]');
    expect(render('[{{ index .Args "__proto__" }}][{{ index .Args "toString" }}]', data)).toBe('[][]');
    expect(render('{{ $d := dict "__proto__" "x" "polluted" 1 }}{{ hasKey $d "__proto__" }}{{ index $d "__proto__" }}', data)).toBe('truex');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(render('[{{ .Args.constructor }}]', { Args: [] })).toBe('[]');
    expect(render('[{{ .length }}]', ['a'])).toBe('[]');
  });
});

type ErrCase = [template: string, code: TemplateErrorCode, line: number, col: number, message: string];

const COMPILE_ERRORS: ErrCase[] = [
  ['{{ evn "X" }}', 'template_unknown_function', 1, 4, 'unknown function "evn"'],
  ['{{ call .f }}', 'template_unknown_function', 1, 4, 'unknown function "call"'],
  ['a {{ .x } b', 'template_syntax', 1, 9, 'unexpected "}" in operand'],
  ['abc {{ .x ', 'template_syntax', 1, 5, 'unclosed action'],
  ['{{ range .x }}a', 'template_syntax', 1, 1, 'missing {{end}} for {{range}}'],
  ['x\n{{ if .a }}{{ with .b }}{{ end }}', 'template_syntax', 2, 1, 'missing {{end}} for {{if}}'],
  ['a{{ end }}', 'template_syntax', 1, 2, 'unexpected {{end}}'],
  ['{{ else }}', 'template_syntax', 1, 1, 'unexpected {{else}}'],
  ['{{ if .a }}{{ else }}{{ else }}{{ end }}', 'template_syntax', 1, 22, 'expected end; found {{else}}'],
  ['{{ $x }}', 'template_syntax', 1, 4, 'undefined variable "$x"'],
  ['{{ with $x := 1 }}{{ end }}{{ $x }}', 'template_syntax', 1, 31, 'undefined variable "$x"'],
  ['{{ $y = 1 }}', 'template_syntax', 1, 4, 'undefined variable "$y"'],
  ['{{ if }}{{ end }}', 'template_syntax', 1, 7, 'missing value for if'],
  ['{{ }}', 'template_syntax', 1, 4, 'missing value for command'],
  ['{{ break }}', 'template_syntax', 1, 1, '{{break}} outside {{range}}'],
  ['{{ "abc }}', 'template_syntax', 1, 4, 'unterminated quoted string'],
  ['{{ "\\q" }}', 'template_syntax', 1, 4, 'bad string syntax'],
  ["{{ 'ab' }}", 'template_syntax', 1, 4, 'malformed character constant'],
  ['{{ .x | "lit" }}', 'template_syntax', 1, 9, 'non executable command in pipeline stage 2'],
  ['{{ template "nope" }}', 'template_syntax', 1, 1, 'no such template "nope"'],
  ['{{/* x }}', 'template_syntax', 1, 1, 'unclosed comment'],
  ['{{/* x */ .y }}', 'template_syntax', 1, 1, 'comment ends before closing delimiter'],
  ['{{ (1 }}', 'template_syntax', 1, 7, 'unclosed left paren'],
  ['{{ 1) }}', 'template_syntax', 1, 5, 'unexpected right paren'],
  ['{{ 12ab }}', 'template_syntax', 1, 4, 'bad number syntax: "12ab"'],
  ['{{ len }}', 'template_syntax', 1, 4, 'wrong number of args for len: want 1 got 0'],
  ['{{ .x | default "a" "b" }}', 'template_syntax', 1, 9, 'wrong number of args for default: want 1 to 2 got 3'],
  ['{{ .x 1 }}', 'template_syntax', 1, 4, "can't give argument to non-function .x"],
  ['{{ $a, $b := .x }}', 'template_syntax', 1, 4, 'too many declarations in command'],
  ['line1\n  {{ .a | nofn }}', 'template_unknown_function', 2, 11, 'unknown function "nofn"'],
  ['{{ @ }}', 'template_syntax', 1, 4, 'unexpected "@" in operand'],
  ['{{ define "a" }}x{{ end }}{{ define "a" }}y{{ end }}', 'template_syntax', 1, 27, 'multiple definition of template "a"'],
  ['{{ if .a }}{{ define "x" }}{{ end }}{{ end }}', 'template_syntax', 1, 12, '{{define}} must be at top level'],
  ['{{ .a.b"x" }}', 'template_syntax', 1, 8, "bad character U+0022 '\"'"],
  ['{{ 1 . }}', 'template_syntax', 1, 4, "can't give argument to non-function 1"],
  ['{{ nil }}', 'template_syntax', 1, 4, 'nil is not a command'],
  ['{{ range $i, 3 }}{{ end }}', 'template_syntax', 1, 10, 'range can only initialize variables'],
  ['{{ "a""b" }}', 'template_syntax', 1, 7, 'unexpected "\\"b\\"" in operand'],
];

const EXEC_ERRORS: [template: string, data: unknown, line: number, col: number, message: string][] = [
  ['{{ .a }}{{ index .Args.name "x" }}', { Args: { name: 's' } }, 1, 12, 'executing "index": cannot index string with "x"'],
  ['{{ index .Args.tags 5 }}', DATA, 1, 4, 'executing "index": index out of range: 5'],
  ['{{ index .Args.missing 0 }}', DATA, 1, 4, 'executing "index": index of nil'],
  ['{{ index .Args.id 0 }}', DATA, 1, 4, 'executing "index": cannot index number with 0'],
  ['a\nb {{ div 1 0 }}', DATA, 2, 6, 'executing "div": division by zero'],
  ['{{ mod 5 0 }}', DATA, 1, 4, 'executing "mod": division by zero'],
  ['{{ fromJSON "{bad" }}', DATA, 1, 4, 'executing "fromJSON": invalid JSON'],
  ['{{ range .Args.name }}{{ end }}', DATA, 1, 1, 'range can\'t iterate over "Alice Smith"'],
  ['{{ range $i, $v := 3 }}{{ end }}', DATA, 1, 1, "can't use 3 to iterate over more than one variable"],
  ['{{ range 5000000 }}{{ end }}', DATA, 1, 1, 'range over 5000000 exceeds the limit'],
  ['{{ len .Args.id }}', DATA, 1, 4, 'executing "len": len of type number'],
  ['{{ lt 1 "a" }}', DATA, 1, 4, 'executing "lt": incompatible types for comparison'],
  ['{{ gt .Args.missing 1 }}', DATA, 1, 4, 'executing "gt": invalid type for comparison: nil'],
  ['{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', DATA, 1, 17, 'exceeded maximum template depth (100)'],
  ['{{ b64dec "!!" }}', DATA, 1, 4, 'executing "b64dec": illegal base64 data'],
  ['{{ date "2006" "not a date" }}', DATA, 1, 4, 'executing "date": cannot use "not a date" as a time'],
  ['{{ regexMatch "(" "x" }}', DATA, 1, 4, 'executing "regexMatch": regexp:'],
  ['{{ slice .Args.tags 2 1 }}', DATA, 1, 4, 'executing "slice": invalid slice index: 2 > 1'],
  ['x {{ .c }}', (() => {
    const c: Record<string, unknown> = {};
    c.self = c;
    return { c };
  })(), 1, 3, 'json:'],
  ['{{ upper (index .Args.tags 9) }}', DATA, 1, 11, 'executing "index": index out of range: 9'],
];

describe('template compile errors', () => {
  it('has at least 15 cases', () => expect(COMPILE_ERRORS.length).toBeGreaterThanOrEqual(15));
  for (const [source, code, line, col, message] of COMPILE_ERRORS) {
    it(`rejects ${JSON.stringify(source)} with ${message}`, () => {
      let err: unknown;
      try {
        compile(source);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateError);
      const te = err as TemplateError;
      expect({ code: te.code, line: te.line, col: te.col }).toEqual({ code, line, col });
      expect(te.message).toStartWith(`template: ${line}:${col}: `);
      expect(te.message).toContain(message);
    });
  }
});

describe('template exec errors', () => {
  it('has at least 8 cases', () => expect(EXEC_ERRORS.length).toBeGreaterThanOrEqual(8));
  for (const [source, data, line, col, message] of EXEC_ERRORS) {
    it(`fails ${JSON.stringify(source)} with ${message}`, () => {
      const t = compile(source);
      let err: unknown;
      try {
        t.render(data, OPTS);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateError);
      const te = err as TemplateError;
      expect({ code: te.code, line: te.line, col: te.col }).toEqual({ code: 'template_exec', line, col });
      expect(te.message).toContain(message);
    });
  }

  it('wraps errors thrown by custom functions', () => {
    const t = compile('{{ boom 1 }}', {
      funcs: {
        boom: () => {
          throw new TypeError('kaput');
        },
      },
    });
    expect(() => t.render({})).toThrow(TemplateError);
    expect(() => t.render({})).toThrow('template: 1:4: executing "boom": kaput');
  });
});

// --- randomized robustness ---

/** mulberry32: small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzer(seed: number) {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const fields = ['.a', '.b', '.a.b', '.x.y.z', '.l', '.m', '.s', '.n', '.', '$', '$.a', '.constructor', '.__proto__'];
  const lits = ['1', '-2', '0', '3.5', '"s"', '"{\\"k\\":1}"', '`raw`', 'true', 'false', 'nil', "'c'", '0x10', '"a,b"', '"2006-01-02"', '"[1,2]"'];
  const fns = FUNCTION_NAMES.filter((f) => f !== 'uuidv4');
  let nullary: string[] = [];
  const operand = (depth: number): string => {
    const r = int(10);
    if (r < 4) return pick(fields);
    if (r < 7) return pick(lits);
    if (r < 8 && depth > 0) return `(${pipeline(depth - 1)})`;
    if (r < 9) return '$v';
    return pick(nullary);
  };
  // Argument counts each function accepts, probed through compile, so most calls are valid.
  const arities = new Map(
    fns.map((fn) => [
      fn,
      [0, 1, 2, 3].filter((n) => {
        try {
          compile(`{{ ${[fn, ...Array(n).fill('1')].join(' ')} }}`);
          return true;
        } catch {
          return false;
        }
      }),
    ]),
  );
  nullary = fns.filter((fn) => arities.get(fn)!.includes(0));
  const command = (depth: number, piped: boolean): string => {
    if (!piped && int(3) === 0) return operand(depth);
    const fn = pick(fns);
    // A piped value is one more argument.
    const counts = arities.get(fn)!.map((c) => c - (piped ? 1 : 0)).filter((c) => c >= 0);
    const n = int(8) === 0 || counts.length === 0 ? int(4) : pick(counts);
    return [fn, ...Array.from({ length: n }, () => operand(depth))].join(' ');
  };
  const pipeline = (depth: number): string => {
    const n = 1 + int(3);
    return Array.from({ length: n }, (_, i) => command(depth, i > 0)).join(' | ');
  };
  const block = (depth: number): string => {
    const parts: string[] = [];
    const n = 1 + int(4);
    for (let i = 0; i < n; i++) {
      const r = int(12);
      const body = depth > 0 ? block(depth - 1) : 'x';
      const trimL = int(4) === 0 ? '- ' : ' ';
      const trimR = int(4) === 0 ? ' -' : ' ';
      if (r < 3) parts.push(pick(['text ', ' \n ', '{ ', '}', 'é']));
      else if (r < 6) parts.push(`{{${trimL}${pipeline(2)}${trimR}}}`);
      else if (r < 7) parts.push(`{{ if ${pipeline(1)} }}${body}{{ else if ${pipeline(1)} }}${body}{{ else }}${body}{{ end }}`);
      else if (r < 8) parts.push(`{{ range $i, $v := ${pipeline(1)} }}${body}{{ if $i }}{{ break }}{{ end }}{{ else }}${body}{{ end }}`);
      else if (r < 9) parts.push(`{{ with $v := ${pipeline(1)} }}${body}{{ end }}`);
      else if (r < 10) parts.push(`{{ $v := ${pipeline(1)} }}${body}`);
      else if (r < 11) parts.push(`{{/* c */}}${body}`);
      else parts.push(`{{ template "t" ${operand(1)} }}`);
    }
    return parts.join('');
  };
  const GARBAGE = '{{}}$.|()"\'`-:=, \n\tabc019_/*@\\é';
  const garbage = (): string => Array.from({ length: int(40) }, () => GARBAGE[int(GARBAGE.length)]).join('');
  const mutate = (s: string): string => {
    const a = s.split('');
    const edits = 1 + int(3);
    for (let i = 0; i < edits; i++) {
      const at = int(a.length + 1);
      if (int(2) === 0) a.splice(at, 1);
      else a.splice(at, 0, GARBAGE[int(GARBAGE.length)]!);
    }
    return a.join('');
  };
  const template = (): string => {
    const r = int(10);
    const base = `{{ define "t" }}{{ . }}{{ end }}{{ $v := .a }}${block(2)}`;
    if (r < 5) return base;
    if (r < 8) return mutate(base);
    return garbage();
  };
  const value = (depth: number): unknown => {
    const r = int(depth > 0 ? 9 : 6);
    switch (r) {
      case 0:
        return null;
      case 1:
        return pick([0, 1, -1, 2.5, 3, 1e21, 100]);
      case 2:
        return pick(['', 's', '{"k":1}', 'a,b', '2024-01-02T03:04:05Z', '[1,2]', 'héllo']);
      case 3:
        return int(2) === 0;
      case 4:
        return undefined;
      case 5:
        return 7;
      case 6:
      case 7:
        return Array.from({ length: int(4) }, () => value(depth - 1));
      default: {
        const o: Record<string, unknown> = {};
        for (const k of ['a', 'b', 'x', 'y', 'z', 'l', 'm', 's', 'n'].slice(0, int(9))) o[k] = value(depth - 1);
        return o;
      }
    }
  };
  return { template, data: () => value(3) };
}

describe('template robustness', () => {
  it('throws only TemplateError from compile and render on 2,000 random templates', () => {
    const f = fuzzer(20240305);
    const failures: string[] = [];
    let compiled = 0;
    let rendered = 0;
    for (let i = 0; i < 2000; i++) {
      const src = f.template();
      let t;
      try {
        t = compile(src);
        compiled++;
      } catch (e) {
        if (!(e instanceof TemplateError) || e.message.includes("internal error")) failures.push(`compile ${JSON.stringify(src)}: ${String(e)}`);
        continue;
      }
      for (let j = 0; j < 2; j++) {
        const data = f.data();
        try {
          const out = t.render(data, OPTS);
          if (typeof out !== 'string') failures.push(`render ${JSON.stringify(src)}: returned ${typeof out}`);
          rendered++;
        } catch (e) {
          if (!(e instanceof TemplateError) || e.code !== 'template_exec' || e.message.includes('internal error')) {
            failures.push(`render ${JSON.stringify(src)} on ${JSON.stringify(data)}: ${String(e)}`);
          }
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // The grammar must exercise both paths, not only error handling.
    expect(compiled).toBeGreaterThan(300);
    expect(rendered).toBeGreaterThan(100);
  });
});
