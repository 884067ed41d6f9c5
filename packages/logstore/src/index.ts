export type { LogBackend, LogBounds, LogCursor } from "./backend.ts";
export { createLogStore } from "./create-log-store.ts";
export { LogStoreError, type LogStoreErrorCode } from "./errors.ts";
export { createFileLogStore, type FileLogStore, type FileLogStoreOptions } from "./file/file-log-store.ts";
export { createKafkaLogStore, type KafkaLogStoreOptions } from "./kafka/kafka-log-store.ts";
export {
  type KafkaSecurity,
  kafkaClientSecurity,
  kafkaSecurityEnv,
  kafkaSecurityFrom,
} from "./kafka/kafka-security.ts";
export { LineSplitter, type OnLinePiece, readLines } from "./line-splitter.ts";
export type {
  LogEvent,
  LogFilter,
  LogStore,
  LogSubscription,
  ReadOptions,
  ReadResult,
  SubscribeOptions,
} from "./logstore.ts";
export {
  type LogPhase,
  type LogRecord,
  type LogStream,
  logPhaseSchema,
  logRecordSchema,
  MAX_LINE_BYTES,
  type StoredLogRecord,
  storedLogRecordSchema,
} from "./record.ts";
export { createSecretMasker, MIN_SECRET_LENGTH, SECRET_MASK } from "./secret-masker.ts";
export { splitLongLine } from "./split-line.ts";
export { withSecretMasking } from "./with-secret-masking.ts";
