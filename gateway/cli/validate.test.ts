import { describe, expect, it } from 'bun:test';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runValidate } from './validate.ts';

const REPO = join(import.meta.dir, '..', '..');
const FIXTURES = join(REPO, 'test', 'fixtures');
const VALID = join(FIXTURES, 'valid');
const broken = (name: string) => join(FIXTURES, 'broken', name);

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runValidate(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('cli/validate', () => {
  it('exits 0 and prints only the summary when every document is valid', async () => {
    const r = await run([VALID]);
    expect(r).toEqual({ code: 0, out: [], err: ['2 files, 0 errors, 0 warnings'] });
  });

  it('prints one compiler-style line per error and exits 1 when there are errors', async () => {
    const r = await run([broken('unknown-key-did-you-mean')]);
    expect(r).toEqual({
      code: 1,
      out: ['configs/acme/tickets.yaml:5:5: tools[0]: unknown key "descripton" (did you mean "description"?)'],
      err: ['1 file, 1 error, 0 warnings'],
    });
  });

  it('exits 0 when there are only warnings, printing them with "warning: "', async () => {
    const r = await run([broken('warnings')]);
    expect(r.code).toBe(0);
    expect(r.out.length).toBeGreaterThan(0);
    for (const line of r.out) expect(line).toMatch(/^configs\/acme\/tickets\.yaml:\d+:\d+: warning: /);
    expect(r.err).toEqual([`1 file, 0 errors, ${r.out.length} warnings`]);
  });

  it('prints the issues as one JSON document with --json', async () => {
    const r = await run(['--json', broken('missing-required-key')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out.join('\n'))).toEqual({
      files: 1,
      errors: 1,
      warnings: 0,
      issues: [
        { file: 'configs/acme/tickets.yaml', line: 4, col: 5, path: 'tools[0]', message: 'missing required key "endpoint"', severity: 'error' },
      ],
    });
  });

  it('shows paths relative to DIR when DIR is the configs folder itself', async () => {
    const r = await run([join(broken('missing-required-key'), 'configs')]);
    expect(r.out).toEqual(['acme/tickets.yaml:4:5: tools[0]: missing required key "endpoint"']);
  });

  it('exits 2 on an unknown flag', async () => {
    const r = await run(['--jsn']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe('validate: unknown flag "--jsn"');
  });

  it('exits 2 when DIR does not exist', async () => {
    const r = await run([join(FIXTURES, 'does-not-exist')]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`validate: ${join(FIXTURES, 'does-not-exist')}: not a directory`]);
  });

  it('runs as a process: issues on stdout, summary on stderr, exit status 1', async () => {
    const proc = Bun.spawn(['bun', join(REPO, 'gateway', 'cli', 'validate.ts'), broken('duplicate-key')], {
      cwd: REPO,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stdout).toBe('configs/acme/tickets.yaml:7:5: tools[0]: duplicate key "method"\n');
    expect(stderr).toBe('1 file, 1 error, 0 warnings\n');
  });

  it('passes `bun run validate config-repo` and fails a copy with one broken file naming the line', async () => {
    const ok = Bun.spawnSync(['bun', 'run', 'validate', 'config-repo'], { cwd: REPO, stdout: 'pipe', stderr: 'pipe' });
    expect(ok.exitCode).toBe(0);

    const copy = await mkdtemp(join(tmpdir(), 'validate-copy-'));
    try {
      await cp(join(REPO, 'config-repo'), copy, { recursive: true });
      const file = join(copy, 'configs', 'acme', 'weather.yaml');
      const lines = (await readFile(file, 'utf8')).split('\n');
      const at = lines.findIndex((l) => /^\s+endpoint:/.test(l));
      expect(at).toBeGreaterThan(0);
      lines[at] = lines[at]!.replace(/endpoint:.*/, 'endpoint: "{{ evn \\"X\\" }}/forecast"');
      await writeFile(file, lines.join('\n'));
      const bad = Bun.spawnSync(['bun', 'run', 'validate', copy], { cwd: REPO, stdout: 'pipe', stderr: 'pipe' });
      expect(bad.exitCode).toBe(1);
      expect(bad.stdout.toString()).toMatch(new RegExp(`^configs/acme/weather\\.yaml:${at + 1}:\\d+: tools\\[\\d+\\]\\.endpoint: unknown function "evn"`, 'm'));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
