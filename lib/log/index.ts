import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { getConfig } from "../config";

/**
 * The structured application log: one JSON object per line on stdout, with Elastic Common
 * Schema field names (`@timestamp`, `log.level`, `message`, `event.*`, `user.id`,
 * `source.ip`, `user_agent.original`, `transaction.id`...), so Filebeat, Logstash, Vector or
 * any SIEM can ingest it without a custom parser. LOG_LEVEL picks the level.
 */
export const ECS_VERSION = "8.11.0";

export const ecsOptions = (level: string): LoggerOptions => ({
  level,
  messageKey: "message",
  // ECS names; `base` drops pino's pid/hostname in favour of ECS's own fields.
  base: { "ecs.version": ECS_VERSION, service: { name: "jit-access" }, process: { pid: process.pid } },
  timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
  formatters: { level: (label) => ({ "log.level": label }) },
});

const globalForLog = globalThis as unknown as { jitLogger?: Logger };

/** The process's logger, created on first use (configuration is read then, not at import). */
export const logger = (): Logger => {
  globalForLog.jitLogger ??= pino(ecsOptions(getConfig().logLevel));
  return globalForLog.jitLogger;
};

/** Tests: send the log to `destination` at `level`; returns a function that restores it. */
export const captureLog = (destination: DestinationStream, level = "info"): (() => void) => {
  const previous = globalForLog.jitLogger;
  globalForLog.jitLogger = pino(ecsOptions(level), destination);
  return () => {
    globalForLog.jitLogger = previous;
  };
};
