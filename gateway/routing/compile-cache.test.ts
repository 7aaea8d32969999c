import { describe, expect, it } from 'bun:test';
import type { McpConfig } from '../config/schema.ts';
import { createSsrfGuard, type ToolRuntime } from '../tools/index.ts';
import { CompileCache, compileTable } from './table.ts';

const runtimeOf = (): ToolRuntime => ({
  env: () => undefined,
  guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1/32'] }),
  defaultTimeoutMs: 5000,
  maxResponseBytes: 1 << 20,
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A document as the loader hands it out (deep-frozen), with one router at `/<name>`. */
function doc(name: string, description = 'tool', freeze = true): McpConfig {
  const config: McpConfig = {
    name,
    tenant: 'acme',
    routers: [{ server: 'api', prefix: `/${name}` }],
    servers: [{ name: 'api', allowedTools: ['get'] }],
    tools: [{ name: 'get', description, method: 'GET', endpoint: 'http://127.0.0.1:9/{{ .Args.id }}', args: [{ name: 'id', position: 'path' }] }],
  };
  return freeze ? deepFreeze(config) : config;
}

describe('compileTable with a CompileCache', () => {
  it('reuses the Endpoints of an unchanged document and compiles a changed one', () => {
    const runtime = runtimeOf();
    const cache = new CompileCache();
    const a = doc('a');
    const first = compileTable('r1', [a, doc('b')], runtime, cache).table;
    const second = compileTable('r2', [a, doc('b', 'changed')], runtime, cache).table;
    expect(second.get('/a')).toBe(first.get('/a')!);
    expect(second.get('/b')).not.toBe(first.get('/b')!);
    expect(second.get('/b')!.listHash).not.toBe(first.get('/b')!.listHash);
    expect(second.revision).toBe('r2');
  });

  it('keeps the list hash of a document that was parsed again with the same content', () => {
    const runtime = runtimeOf();
    const cache = new CompileCache();
    const first = compileTable('r1', [doc('a')], runtime, cache).table;
    const second = compileTable('r2', [doc('a')], runtime, cache).table;
    expect(second.get('/a')).not.toBe(first.get('/a')!);
    expect(second.get('/a')!.listHash).toBe(first.get('/a')!.listHash);
  });

  it('compiles again for another runtime', () => {
    const cache = new CompileCache();
    const a = doc('a');
    const first = compileTable('r1', [a], runtimeOf(), cache).table;
    expect(compileTable('r2', [a], runtimeOf(), cache).table.get('/a')).not.toBe(first.get('/a')!);
  });

  it('compiles a document that is not frozen every time', () => {
    const runtime = runtimeOf();
    const cache = new CompileCache();
    const a = doc('a', 'tool', false);
    const first = compileTable('r1', [a], runtime, cache).table;
    expect(compileTable('r2', [a], runtime, cache).table.get('/a')).not.toBe(first.get('/a')!);
    expect(cache.size).toBe(0);
  });

  it('holds only the documents of the last table', () => {
    const runtime = runtimeOf();
    const cache = new CompileCache();
    const a = doc('a');
    compileTable('r1', [a, doc('b')], runtime, cache);
    expect(cache.size).toBe(2);
    compileTable('r2', [a], runtime, cache);
    expect(cache.size).toBe(1);
  });

  it('keeps what it held when a compile fails', () => {
    const runtime = runtimeOf();
    const cache = new CompileCache();
    const a = doc('a');
    const first = compileTable('r1', [a], runtime, cache).table;
    // Two documents with the same prefix: validation refuses this, the table throws.
    expect(() => compileTable('r2', [a, doc('a', 'other')], runtime, cache)).toThrow('is used twice');
    expect(compileTable('r3', [a], runtime, cache).table.get('/a')).toBe(first.get('/a')!);
  });

  it('uses one cache per runtime when none is given', () => {
    const runtime = runtimeOf();
    const a = doc('a');
    const first = compileTable('r1', [a], runtime).table;
    expect(compileTable('r2', [a], runtime).table.get('/a')).toBe(first.get('/a')!);
    expect(compileTable('r3', [a], runtimeOf()).table.get('/a')).not.toBe(first.get('/a')!);
  });
});
