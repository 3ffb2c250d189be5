import type { SinkRecord } from './batch.js';
import { recordJson } from './batch.js';

/**
 * Facility 13, "log audit" (RFC 5424 §6.2.1), severity 6, informational: PRI = 13 * 8 + 6.
 * Every record is the same severity: an audit event is a fact, not an alarm.
 */
export const SYSLOG_PRI = 110;

const NIL = '-';

export interface SyslogHeader {
  /** HOSTNAME: printable US-ASCII, at most 255 characters. */
  hostname: string;
  /** APP-NAME: printable US-ASCII, at most 48 characters. */
  appName: string;
}

/**
 * One RFC 5424 message: `<110>1 TIMESTAMP HOSTNAME APP-NAME - MSGID - MSG`, TIMESTAMP the event's
 * `at` (a checkpoint's `issuedAt`), MSGID `event` or `checkpoint`, no structured data, MSG the
 * record's RFC 8785 JSON (MSG-ANY: no BOM, the JSON is UTF-8 and escapes every control character).
 */
export function syslogMessage(record: SinkRecord, header: SyslogHeader): string {
  const timestamp = record.kind === 'event' ? record.event.at : record.checkpoint.issuedAt;
  return [
    `<${SYSLOG_PRI}>1`,
    timestamp,
    header.hostname,
    header.appName,
    NIL,
    record.kind,
    NIL,
    recordJson(record),
  ].join(' ');
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** A HOSTNAME field from the machine's name: printable US-ASCII only, or NILVALUE. */
export function syslogHostname(name: string): string {
  const printable = name.replace(/[^!-~]/g, '').slice(0, 255);
  return printable === '' ? NIL : printable;
}
