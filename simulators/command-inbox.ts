/**
 * The commands a simulated device receives: each message checked against the
 * command schema (docs/PROTOCOL.md "Commands"), and each cmdId carried out once
 * however often the hub resends it (it resends at every subscribe until the
 * device confirms).
 */
import { commandSchema, type DeviceCommand } from '../devices/commands.js';
import { formatIssue } from './payloads.js';

export interface InvalidCommand {
  payload: string;
  reason: string;
}

export class CommandInbox {
  /** cmdIds already carried out, oldest first: a resent command is confirmed again, not acted on twice. */
  private readonly doneCmdIds: string[] = [];

  /** The command and whether it is new (to carry out), or why the message is not a command. */
  read(raw: Buffer): { command: DeviceCommand; fresh: boolean } | { invalid: InvalidCommand } {
    const text = raw.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { invalid: { payload: text, reason: 'not JSON' } };
    }
    const parsed = commandSchema.safeParse(json);
    if (!parsed.success) return { invalid: { payload: text, reason: parsed.error.issues.map(formatIssue).join('; ') } };
    const command = parsed.data;
    if (this.doneCmdIds.includes(command.cmdId)) return { command, fresh: false };
    this.doneCmdIds.push(command.cmdId);
    if (this.doneCmdIds.length > 64) this.doneCmdIds.shift();
    return { command, fresh: true };
  }
}
