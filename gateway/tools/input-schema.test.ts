import { describe, expect, it } from 'bun:test';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Tool } from '../config/schema.ts';
import { buildInputSchema } from './input-schema.ts';

const tool = (extra: Partial<Tool>): Tool => ({ name: 't', method: 'GET', endpoint: 'http://x/', ...extra });

const cases: Array<[string, Partial<Tool>, unknown]> = [
  ['no args', {}, { type: 'object', properties: {} }],
  [
    'scalar args with description, enum, typed default and required',
    {
      args: [
        { name: 'q', position: 'query', type: 'string', required: true, description: 'Search text' },
        { name: 'limit', position: 'query', type: 'integer', default: '20' },
        { name: 'order', position: 'query', type: 'string', enum: ['asc', 'desc'], default: 'asc' },
        { name: 'flag', position: 'query', type: 'boolean', default: 'false' },
      ],
    },
    {
      type: 'object',
      properties: {
        q: { type: 'string', description: 'Search text' },
        limit: { type: 'integer', default: 20 },
        order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
        flag: { type: 'boolean', default: false },
      },
      required: ['q'],
    },
  ],
  [
    'an array arg with recursive items',
    {
      args: [
        {
          name: 'matrix',
          position: 'body',
          type: 'array',
          default: '[]',
          items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
        },
        { name: 'labels', position: 'body', type: 'array', items: { type: 'string', enum: ['bug', 'ops'] } },
      ],
    },
    {
      type: 'object',
      properties: {
        matrix: {
          type: 'array',
          items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
          default: [],
        },
        labels: { type: 'array', items: { type: 'string', enum: ['bug', 'ops'] } },
      },
    },
  ],
  [
    'an object arg with a JSON default',
    { args: [{ name: 'extra', position: 'body', type: 'object', default: '{"a":1}' }] },
    { type: 'object', properties: { extra: { type: 'object', default: { a: 1 } } } },
  ],
  [
    'an inputSchema map merged over generated properties',
    {
      args: [
        { name: 'q', position: 'query', type: 'string', required: true },
        { name: 'filter', position: 'body', type: 'object' },
      ],
      inputSchema: { filter: { type: 'object', properties: { status: { type: 'string' } } }, extra: { type: 'number' } },
    },
    {
      type: 'object',
      properties: {
        q: { type: 'string' },
        filter: { type: 'object', properties: { status: { type: 'string' } } },
        extra: { type: 'number' },
      },
      required: ['q'],
    },
  ],
  [
    'a full inputSchema merged property by property with required unioned',
    {
      args: [{ name: 'q', position: 'query', type: 'string', required: true }],
      inputSchema: { type: 'object', properties: { page: { type: 'integer', minimum: 1 } }, required: ['page', 'q'], additionalProperties: false },
    },
    {
      type: 'object',
      properties: { q: { type: 'string' }, page: { type: 'integer', minimum: 1 } },
      required: ['q', 'page'],
      additionalProperties: false,
    },
  ],
  [
    'a map whose property is named like a keyword',
    { inputSchema: { type: { type: 'string' }, properties: { type: 'object' } } },
    { type: 'object', properties: { type: { type: 'string' }, properties: { type: 'object' } } },
  ],
];

describe('input-schema', () => {
  // The SDK client's own validator: what a real client compiles the schema with.
  const validator = new AjvJsonSchemaValidator();
  for (const [name, spec, expected] of cases) {
    it(`generates the expected valid JSON Schema when given ${name}`, () => {
      const schema = buildInputSchema(tool(spec));
      expect(schema).toEqual(expected as never);
      const validate = validator.getValidator(schema as never);
      expect(validate({}).valid).toBe(!('required' in schema));
    });
  }

  it('throws when an inputSchema property is not a schema object', () => {
    expect(() => buildInputSchema(tool({ inputSchema: { q: 'string' } }))).toThrow('tool "t": inputSchema.q must be a schema object');
  });
});
