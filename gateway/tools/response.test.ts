import { describe, expect, it } from 'bun:test';
import { plainText } from './response.ts';

const res = (headers: Record<string, string>, status = 200) => new Response('x', { status, headers });

describe('plainText', () => {
  it('takes UTF-8 or charset-less text with a Content-Length within the limit', () => {
    expect(plainText(res({ 'content-length': '1', 'content-type': 'application/json' }), 10)).toBe(true);
    expect(plainText(res({ 'content-length': '1', 'content-type': 'application/json;charset=utf-8' }), 10)).toBe(true);
    expect(plainText(res({ 'content-length': '1', 'content-type': 'text/plain; charset="UTF-8"' }), 10)).toBe(true);
    expect(plainText(res({ 'content-length': '10' }), 10)).toBe(true);
  });

  it('leaves to readBody what needs more than the declared length: limits, codings, binary, other charsets, errors', () => {
    expect(plainText(res({ 'content-type': 'application/json' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': '11', 'content-type': 'application/json' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': 'x' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': '1', 'content-encoding': 'gzip' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': '1', 'content-type': 'image/png' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': '1', 'content-type': 'Audio/WAV' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': '1', 'content-type': 'text/plain; charset=iso-8859-1' }), 10)).toBe(false);
    expect(plainText(res({ 'content-length': '1', 'content-type': 'application/json' }, 404), 10)).toBe(false);
  });

  it('gives the same answer for a Content-Type it has just seen', () => {
    const latin1 = { 'content-length': '1', 'content-type': 'text/plain; charset=latin1' };
    expect(plainText(res(latin1), 10)).toBe(false);
    expect(plainText(res(latin1), 10)).toBe(false);
    const json = { 'content-length': '1', 'content-type': 'application/json' };
    expect(plainText(res(json), 10)).toBe(true);
    expect(plainText(res(json), 10)).toBe(true);
  });
});
