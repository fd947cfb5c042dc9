import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString, LogFn } from 'pino';
import type { Logger } from '../lib/logger.js';

/**
 * Stands in for a request's child logger until a line is written. Fastify gives every request a child bound to its
 * request id, and building one runs the bindings through the redaction (~2 µs, on every request); at the usual levels
 * most requests write nothing. A call at a level the logger drops is dropped here too; anything else builds the child
 * once (the same child Fastify would have made) and goes to it, as does everything after.
 */
class RequestLogger implements FastifyBaseLogger {
  #child: Logger | undefined;
  readonly #parent: Logger;
  readonly #bindings: Bindings;

  constructor(parent: Logger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #logger(): Logger {
    if (this.#child === undefined) this.#child = this.#parent.child(this.#bindings);
    return this.#child;
  }

  /** The child when it exists or `level` is written; undefined when the line would be dropped. */
  #at(level: Level): Logger | undefined {
    return this.#child ?? (this.#parent.isLevelEnabled(level) ? this.#logger() : undefined);
  }

  get level(): LevelWithSilentOrString {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#logger().level = level;
  }

  fatal(...args: Parameters<LogFn>): void {
    this.#at('fatal')?.fatal(...args);
  }

  error(...args: Parameters<LogFn>): void {
    this.#at('error')?.error(...args);
  }

  warn(...args: Parameters<LogFn>): void {
    this.#at('warn')?.warn(...args);
  }

  info(...args: Parameters<LogFn>): void {
    this.#at('info')?.info(...args);
  }

  debug(...args: Parameters<LogFn>): void {
    this.#at('debug')?.debug(...args);
  }

  trace(...args: Parameters<LogFn>): void {
    this.#at('trace')?.trace(...args);
  }

  silent(): void {}

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.#logger().bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#logger().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: a {@link RequestLogger} for routes that log at the server's level, a pino child at
 * once for routes with a level or serializers of their own.
 */
export const requestLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => {
  const parent = logger as Logger;
  return options.level === undefined && options.serializers === undefined
    ? new RequestLogger(parent, bindings)
    : parent.child(bindings, options);
};
