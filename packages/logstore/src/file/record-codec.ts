import { crc32 } from "node:zlib";
import type { LogPhase, LogRecord, LogStream, StoredLogRecord } from "../record.ts";

/**
 * On-disk record: one text line `<crc32 as 8 hex> <json array>\n`. JSON escapes newlines, so a record is
 * exactly one line; the CRC (of the JSON's UTF-8 bytes) tells a complete record from a torn one.
 * The app id is the directory and the offset is the position, so neither is stored.
 */
type Row = [
  timestamp: string,
  deploymentId: string,
  phase: LogPhase,
  source: string,
  stream: LogStream,
  line: string,
  partial: 0 | 1,
];

export type EncodedBatch = { readonly text: string; readonly byteLengths: number[] };

export function encodeRecords(records: readonly LogRecord[]): EncodedBatch {
  let text = "";
  const byteLengths: number[] = [];
  for (const r of records) {
    const row: Row = [r.timestamp, r.deploymentId, r.phase, r.source, r.stream, r.line, r.partial ? 1 : 0];
    const json = JSON.stringify(row);
    const encoded = `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
    text += encoded;
    byteLengths.push(Buffer.byteLength(encoded));
  }
  return { text, byteLengths };
}

/** True when `line` (without its newline) is a complete record whose CRC matches. */
export function isValidLine(line: string): boolean {
  if (line.length < 10 || line[8] !== " ") return false;
  return Number.parseInt(line.slice(0, 8), 16) === crc32(line.slice(9));
}

export function decodeLine(line: string, appId: string, offset: number): StoredLogRecord {
  const [timestamp, deploymentId, phase, source, stream, text, partial] = JSON.parse(line.slice(9)) as Row;
  const record: StoredLogRecord = {
    offset,
    timestamp,
    appId,
    deploymentId,
    phase,
    source,
    stream,
    line: text,
  };
  return partial === 1 ? { ...record, partial: true } : record;
}
