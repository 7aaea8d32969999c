import { describe, expect, it } from 'bun:test';
import type { McpServer } from '../config/schema.ts';
import { displayUrl, normalizeSpec, redact, safeBaseEnv, specHash } from './spec.ts';

describe('specHash', () => {
  const spec: McpServer = { type: 'stdio', name: 'x', command: 'npx', args: ['-y', 'server'], env: { A: '1', B: '2' }, callTimeout: '10s' };

  it('ignores key order and equivalent duration spellings', () => {
    const reordered: McpServer = { callTimeout: 10_000, env: { B: '2', A: '1' }, args: ['-y', 'server'], command: 'npx', name: 'x', type: 'stdio' };
    expect(specHash(reordered)).toBe(specHash(spec));
  });

  it('ignores tool shaping, which endpoints apply', () => {
    expect(specHash({ ...spec, tools: { include: ['a'] } })).toBe(specHash(spec));
  });

  it('changes with anything that affects the connection', () => {
    expect(specHash({ ...spec, args: ['-y', 'other'] })).not.toBe(specHash(spec));
    expect(specHash({ ...spec, env: { A: '1' } })).not.toBe(specHash(spec));
    expect(specHash({ ...spec, policy: 'onDemand' })).not.toBe(specHash(spec));
  });
});

describe('normalizeSpec', () => {
  it('applies the defaults and resolves durations', () => {
    expect(normalizeSpec({ type: 'sse', name: 'a', url: 'http://x' })).toMatchObject({ connectTimeoutMs: 30_000, callTimeoutMs: 60_000, idleTimeoutMs: undefined });
    expect(normalizeSpec({ type: 'sse', name: 'a', url: 'http://x', policy: 'onDemand' }).idleTimeoutMs).toBe(60_000);
    expect(normalizeSpec({ type: 'sse', name: 'a', url: 'http://x', policy: 'onDemand', idleTimeout: '1.5s' }).idleTimeoutMs).toBe(1500);
  });
});

describe('redact', () => {
  it('strips URL userinfo and queries and masks secret values', () => {
    const out = redact('connect to https://bob:pw@host:1/mcp?token=abc failed with Bearer s3cr3t-value', ['Bearer s3cr3t-value']);
    expect(out).toBe('connect to https://***@host:1/mcp?*** failed with ***');
  });

  it('leaves short values alone', () => {
    expect(redact('code 1', ['1'])).toBe('code 1');
  });
});

describe('displayUrl', () => {
  it('shows scheme, host and path only', () => {
    expect(displayUrl('https://u:p@example.com:8443/a/mcp?k=v#f')).toBe('https://example.com:8443/a/mcp');
  });
});

describe('safeBaseEnv', () => {
  it('keeps only the safe names and drops exported shell functions', () => {
    const env = safeBaseEnv({ PATH: '/bin', HOME: '/h', AWS_SECRET_ACCESS_KEY: 'x', DATABASE_URL: 'y', LANG: '() { :; }' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/h' });
  });
});
