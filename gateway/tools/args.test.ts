import { describe, expect, it } from 'bun:test';
import type { Arg } from '../config/schema.ts';
import { compileArgs, prepareArgs } from './args.ts';

const prep = (args: Arg[], input: Record<string, unknown>) => prepareArgs('t', compileArgs('t', args), input);

describe('args', () => {
  it('fills string defaults parsed by type when arguments are absent', () => {
    const out = prep(
      [
        { name: 'limit', position: 'query', type: 'integer', default: '20' },
        { name: 'ratio', position: 'query', type: 'number', default: '0.5' },
        { name: 'flag', position: 'query', type: 'boolean', default: 'true' },
        { name: 'tags', position: 'body', type: 'array', default: '[]' },
        { name: 'extra', position: 'body', type: 'object', default: '{}' },
        { name: 'name', position: 'body', type: 'string', default: '42' },
      ],
      {},
    );
    expect(out).toEqual({ ok: true, args: { limit: 20, ratio: 0.5, flag: true, tags: [], extra: {}, name: '42' } });
  });

  it('keeps non-string defaults as they are', () => {
    const out = prep([{ name: 'limit', position: 'query', type: 'integer', default: 5 }, { name: 'ids', position: 'body', type: 'array', default: [1, 2] }], {});
    expect(out).toEqual({ ok: true, args: { limit: 5, ids: [1, 2] } });
  });

  it('uses the default when the argument is null', () => {
    expect(prep([{ name: 'limit', position: 'query', type: 'integer', default: '20' }], { limit: null })).toEqual({ ok: true, args: { limit: 20 } });
  });

  it('throws at compile time when a default does not parse as its type', () => {
    expect(() => compileArgs('t', [{ name: 'limit', position: 'query', type: 'integer', default: 'many' }])).toThrow(
      'tool "t": argument "limit": default "many" is not an integer',
    );
  });

  it('refuses the call when a required argument is missing or null', () => {
    const args: Arg[] = [{ name: 'id', position: 'path', type: 'string', required: true }];
    expect(prepareArgs('get_user', compileArgs('get_user', args), {})).toEqual({ ok: false, message: 'tool "get_user": missing required argument "id"' });
    expect(prepareArgs('get_user', compileArgs('get_user', args), { id: null })).toEqual({ ok: false, message: 'tool "get_user": missing required argument "id"' });
  });

  it('coerces numeric strings, boolean strings and JSON text when types are declared', () => {
    const out = prep(
      [
        { name: 'n', position: 'query', type: 'number' },
        { name: 'i', position: 'query', type: 'integer' },
        { name: 'b', position: 'query', type: 'boolean' },
        { name: 'a', position: 'body', type: 'array' },
        { name: 'o', position: 'body', type: 'object' },
        { name: 's', position: 'body', type: 'string' },
      ],
      { n: '1.5', i: ' 7 ', b: 'False', a: '["x", "y"]', o: '{"k": 1}', s: 12 },
    );
    expect(out).toEqual({ ok: true, args: { n: 1.5, i: 7, b: false, a: ['x', 'y'], o: { k: 1 }, s: '12' } });
  });

  it('coerces array items to the items type when items are declared', () => {
    const out = prep([{ name: 'ids', position: 'query', type: 'array', items: { type: 'integer' } }], { ids: ['1', 2] });
    expect(out).toEqual({ ok: true, args: { ids: [1, 2] } });
  });

  it('names the argument and expected type when a value cannot be coerced', () => {
    const args: Arg[] = [
      { name: 'i', position: 'query', type: 'integer' },
      { name: 'a', position: 'body', type: 'array', items: { type: 'number' } },
      { name: 'o', position: 'body', type: 'object' },
    ];
    expect(prep(args, { i: '1.5' })).toEqual({ ok: false, message: 'tool "t": argument "i" must be an integer, got "1.5"' });
    expect(prep(args, { i: 'abc' })).toEqual({ ok: false, message: 'tool "t": argument "i" must be an integer, got "abc"' });
    expect(prep(args, { a: 'x,y' })).toEqual({ ok: false, message: 'tool "t": argument "a" must be an array, got "x,y"' });
    expect(prep(args, { a: [1, 'two'] })).toEqual({ ok: false, message: 'tool "t": argument "a[1]" must be a number, got "two"' });
    expect(prep(args, { o: [1] })).toEqual({ ok: false, message: 'tool "t": argument "o" must be an object, got [1]' });
  });

  it('refuses values outside the enum when an enum is declared', () => {
    const args: Arg[] = [{ name: 'color', position: 'query', type: 'string', enum: ['red', 'green'] }];
    expect(prep(args, { color: 'red' })).toEqual({ ok: true, args: { color: 'red' } });
    expect(prep(args, { color: 'blue' })).toEqual({ ok: false, message: 'tool "t": argument "color" must be one of "red", "green", got "blue"' });
  });

  it('keeps unknown extra arguments and returns the input itself when nothing changes', () => {
    const input = { id: 'a', extra: { x: 1 } };
    const out = prep([{ name: 'id', position: 'path', type: 'string' }], input);
    expect(out.ok && out.args).toBe(input);
  });

  it('drops an optional null argument without a default', () => {
    expect(prep([{ name: 'q', position: 'query', type: 'string' }], { q: null })).toEqual({ ok: true, args: {} });
  });
});
