/** Error codes a template can fail with; mapped to JSON-RPC errors / config issues at the edge. */
export type TemplateErrorCode = 'template_syntax' | 'template_unknown_function' | 'template_exec';

/**
 * Thrown by compile() (syntax / unknown function) and by render() (execution failure).
 * line/col are 1-based, relative to the template source; `message` reads
 * `template: LINE:COL: REASON` and `reason` is the bare REASON.
 */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly code: TemplateErrorCode;
  readonly line: number;
  readonly col: number;
  /** The message without the `template: line:col: ` prefix. */
  readonly reason: string;

  constructor(code: TemplateErrorCode, reason: string, line: number, col: number) {
    super(`template: ${line}:${col}: ${reason}`);
    this.code = code;
    this.line = line;
    this.col = col;
    this.reason = reason;
  }
}

/**
 * Maps byte offsets to 1-based line/column. Built once per compile; errors are rare, so the
 * lookup is a binary search rather than a per-token line counter in the lexer.
 */
export class SourceMap {
  private readonly starts: number[] = [0];

  constructor(source: string) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  lineCol(offset: number): { line: number; col: number } {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  }
}

/** A compile-time failure located at a source offset; converted to TemplateError by compile(). */
export class ParseError extends Error {
  constructor(
    readonly code: 'template_syntax' | 'template_unknown_function',
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

/**
 * Thrown by function implementations for a bad argument; the compiled call site adds the
 * position and function name (`executing "index": ...`).
 */
export class FuncError extends Error {}
