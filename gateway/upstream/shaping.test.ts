import { describe, expect, it } from 'bun:test';
import type { Tool } from '../routing/endpoint.ts';
import { compileShaper, globToRegExp } from './shaping.ts';

const schema = { type: 'object' as const };
const tools: Tool[] = ['echo', 'get-sum', 'get-env', 'get-tiny-image', 'trigger-x', 'say'].map((name) => ({ name, description: `${name} tool`, inputSchema: schema }));

describe('globToRegExp', () => {
  it('matches * and ? and takes everything else literally', () => {
    expect(globToRegExp('get-*').test('get-sum')).toBe(true);
    expect(globToRegExp('get-*').test('xget-sum')).toBe(false);
    expect(globToRegExp('get-?um').test('get-sum')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
  });
});

describe('compileShaper', () => {
  it('passes lists and names through untouched when the spec has no shaping', () => {
    const shaper = compileShaper(undefined);
    expect(shaper.identity).toBe(true);
    expect(shaper.apply(tools)).toBe(tools);
    expect(shaper.upstreamName('anything')).toBe('anything');
  });

  it('applies include, then exclude', () => {
    const shaper = compileShaper({ include: ['get-*', 'echo'], exclude: ['get-env'] });
    expect(shaper.apply(tools).map((t) => t.name)).toEqual(['echo', 'get-sum', 'get-tiny-image']);
    expect(shaper.upstreamName('get-env')).toBeUndefined();
    expect(shaper.upstreamName('trigger-x')).toBeUndefined();
    expect(shaper.upstreamName('get-sum')).toBe('get-sum');
  });

  it('renames both ways and overrides descriptions without touching the upstream objects', () => {
    const shaper = compileShaper({ rename: { echo: 'repeat' }, descriptions: { 'get-sum': 'Adds.' } });
    const shaped = shaper.apply(tools);
    expect(shaped.map((t) => t.name)).toContain('repeat');
    expect(shaped.map((t) => t.name)).not.toContain('echo');
    expect(shaped.find((t) => t.name === 'get-sum')!.description).toBe('Adds.');
    expect(tools.find((t) => t.name === 'get-sum')!.description).toBe('get-sum tool');
    expect(shaper.upstreamName('repeat')).toBe('echo');
    expect(shaper.upstreamName('echo')).toBeUndefined();
  });

  it('hides an upstream tool that a rename shadows', () => {
    const shaper = compileShaper({ rename: { echo: 'say' } });
    const names = shaper.apply(tools).map((t) => t.name);
    expect(names.filter((n) => n === 'say')).toHaveLength(1);
    expect(shaper.upstreamName('say')).toBe('echo');
  });

  it('filters on upstream names, before renaming', () => {
    const shaper = compileShaper({ include: ['echo'], rename: { echo: 'repeat' } });
    expect(shaper.apply(tools).map((t) => t.name)).toEqual(['repeat']);
    expect(shaper.upstreamName('repeat')).toBe('echo');
  });

  it('returns the same shaped array for the same upstream list', () => {
    const shaper = compileShaper({ exclude: ['trigger-*'] });
    expect(shaper.apply(tools)).toBe(shaper.apply(tools));
  });
});
