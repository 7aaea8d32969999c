import { describe, expect, it } from 'bun:test';
import { classify, errorBody, notificationBody, resultBody } from './jsonrpc.ts';

describe('mcp jsonrpc', () => {
  it('classifies requests, notifications and responses when they are well-formed', () => {
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: 'a', method: 'ping', params: {} })).toBe('request');
    expect(classify({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('notification');
    expect(classify({ jsonrpc: '2.0', id: 1, result: {} })).toBe('response');
    expect(classify({ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } })).toBe('response');
    expect(classify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } })).toBe('response');
  });

  it('classifies as invalid when the envelope is wrong', () => {
    for (const bad of [
      null,
      'ping',
      42,
      [],
      {},
      { jsonrpc: '2.0' },
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'ping' },
      { jsonrpc: '2.0', id: {}, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 7 },
      { jsonrpc: '2.0', id: 1, result: {}, error: {} },
      { jsonrpc: '2.0', id: null, result: {} },
    ]) {
      expect(classify(bad)).toBe('invalid');
    }
  });

  it('serializes answers as compact JSON-RPC when given ids of either type', () => {
    expect(JSON.parse(resultBody(1, { a: [1] }))).toEqual({ jsonrpc: '2.0', id: 1, result: { a: [1] } });
    expect(JSON.parse(resultBody('x"y', {}))).toEqual({ jsonrpc: '2.0', id: 'x"y', result: {} });
    expect(JSON.parse(errorBody(null, -32700, 'Parse error: "bad"'))).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error: "bad"' },
    });
    expect(JSON.parse(errorBody(2, -32602, 'bad', { field: 'x' })).error.data).toEqual({ field: 'x' });
    expect(JSON.parse(notificationBody('notifications/tools/list_changed'))).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  });

  it('drops error data when it cannot be serialized', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.parse(errorBody(1, -32603, 'x', cyclic)).error).toEqual({ code: -32603, message: 'x' });
    expect(() => resultBody(1, { n: 1n })).toThrow();
  });
});
