import { describe, expect, it } from 'bun:test';
import type { RequestView } from '../routing/endpoint.ts';
import { Call, CallTable } from './session.ts';

const VIEW: RequestView = { headers: {}, query: {}, cookies: {} };
const call = () => new Call(VIEW, 's');

describe('CallTable', () => {
  it('finds, replaces and removes calls by id like a Map', () => {
    const table = new CallTable();
    const a = call();
    const b = call();
    table.set(1, a).set('x', b);
    expect(table.size).toBe(2);
    expect(table.get(1)).toBe(a);
    expect(table.has('x')).toBe(true);
    const a2 = call();
    table.set(1, a2);
    expect(table.size).toBe(2);
    expect(table.get(1)).toBe(a2);
    expect(table.delete(1)).toBe(true);
    expect(table.delete(1)).toBe(false);
    expect(table.get(1)).toBeUndefined();
    expect(table.get('x')).toBe(b);
  });

  it('adds a call only when its id is free and removes a call only when it is the one given', () => {
    const table = new CallTable();
    const a = call();
    const b = call();
    expect(table.add(1, a)).toBe(true);
    expect(table.add(1, b)).toBe(false);
    expect(table.get(1)).toBe(a);
    expect(table.remove(1, b)).toBe(false);
    expect(table.get(1)).toBe(a);
    expect(table.remove(1, a)).toBe(true);
    expect(table.size).toBe(0);
    expect(table.remove(1, a)).toBe(false);
  });

  it('keeps the number id 1 and the string id "1" apart', () => {
    const table = new CallTable();
    const n = call();
    const s = call();
    table.set(1, n);
    expect(table.has('1')).toBe(false);
    table.set('1', s);
    expect(table.get(1)).toBe(n);
    expect(table.get('1')).toBe(s);
  });

  it('keeps every other call when calls finish out of order', () => {
    const table = new CallTable();
    const calls = Array.from({ length: 10 }, call);
    calls.forEach((c, i) => table.set(i, c));
    for (const i of [3, 0, 9, 5]) table.delete(i);
    expect(table.size).toBe(6);
    for (const i of [1, 2, 4, 6, 7, 8]) expect(table.get(i)).toBe(calls[i]);
    expect(new Set(table.values())).toEqual(new Set([1, 2, 4, 6, 7, 8].map((i) => calls[i]!)));
  });

  it('stays consistent past the size where it adds an index, and back', () => {
    const table = new CallTable();
    const calls = Array.from({ length: 600 }, call);
    calls.forEach((c, i) => table.set(i, c));
    for (let i = 0; i < 600; i += 2) table.delete(i);
    for (let i = 0; i < 600; i++) expect(table.get(i)).toBe(i % 2 === 0 ? undefined : calls[i]);
    for (let i = 1; i < 590; i += 2) table.delete(i);
    expect(table.size).toBe(5);
    for (const i of [591, 593, 595, 597, 599]) expect(table.get(i)).toBe(calls[i]);
  });

  it('iterates over a snapshot, so aborting while iterating sees every call', () => {
    const table = new CallTable();
    const calls = Array.from({ length: 3 }, call);
    calls.forEach((c, i) => table.set(i, c));
    let seen = 0;
    for (const c of table.values()) {
      table.delete(seen);
      c.abort('test', true);
      seen++;
    }
    expect(seen).toBe(3);
    expect(calls.every((c) => c.aborted)).toBe(true);
  });
});
