/**
 * What this node does when another node changed the registry (issue 12):
 * what DeviceService and the user routes do on the node that made the change,
 * for what lives on this node — its MQTT connections, its device watchdog,
 * its login sessions. The records are already in this node's memory when this
 * runs (the Registry's change feed); this only reacts to them. A change seen
 * after a lost feed connection (a full reload) is reacted to the same way, so
 * a device revoked meanwhile is cut off here too.
 */
import type { RevokeReason } from '../auth/sessions.js';
import type { Logger } from '../core/logger.js';
import type { DeviceRecord, UserRecord } from '../registry/records.js';
import type { Registry, RegistryChange } from '../registry/registry.js';

export interface RegistryChangeReactions {
  /**
   * Closes the device's MQTT connection if it is on this node. The node that
   * revoked or rotated asked every node already (the cluster's command relay);
   * doing it again here also covers a relay message that was lost.
   */
  disconnect(deviceId: string): void;
  /** The device watchdog (DevicePresence), where this node runs it. */
  watch(device: DeviceRecord): void;
  unwatch(deviceId: string): void;
  retime(device: DeviceRecord): void;
  /** A device moved to another home: its live state follows (DeviceStateStore.rehome). */
  rehome(deviceId: string, homeId: string): void;
  /** Ends the user's sessions held by this node (SessionStore.revokeUser). */
  revokeSessions(userId: string, reason: RevokeReason): Promise<void>;
}

/** Reacts to every change other nodes make from now on; returns the function that stops it. */
export function followRegistryChanges(registry: Registry, react: RegistryChangeReactions, log: Logger): () => void {
  return registry.onExternalChange((changes) => {
    for (const change of changes) {
      // One failing reaction must not keep the others (a revoked device's disconnect) from running.
      try {
        reactTo(change, react, log);
      } catch (err) {
        log.error({ err, kind: change.kind, id: change.after.id }, 'reacting to a registry change made on another node failed');
      }
    }
  });
}

function reactTo(change: RegistryChange, react: RegistryChangeReactions, log: Logger): void {
  if (change.kind === 'devices') reactToDevice(change.before, change.after, react);
  if (change.kind === 'users') {
    const reason = sessionEndReason(change.before, change.after);
    if (reason) {
      react.revokeSessions(change.after.id, reason).catch((err: unknown) => log.error({ err, userId: change.after.id }, 'ending the sessions of a user changed on another node failed'));
    }
  }
}

function reactToDevice(before: DeviceRecord | undefined, after: DeviceRecord, react: RegistryChangeReactions): void {
  if (after.revokedAt) {
    if (!before?.revokedAt) {
      react.disconnect(after.id);
      react.unwatch(after.id);
    }
    return;
  }
  if (!before) return react.watch(after);
  // The connection authenticated with the old secret must not outlive it (DeviceService.rotateSecret).
  if (before.secretHash !== after.secretHash) react.disconnect(after.id);
  if (before.homeId !== after.homeId) react.rehome(after.id, after.homeId);
  if (before.heartbeatSec !== after.heartbeatSec) react.retime(after);
}

/** Why a user's sessions end after a change of their record: what they carry (role, homes) or what let them in changed. */
export function sessionEndReason(before: UserRecord | undefined, after: UserRecord): RevokeReason | undefined {
  if (!before) return undefined;
  if (after.disabled && !before.disabled) return 'user disabled';
  if (after.role !== before.role) return 'role changed';
  if ([...before.homeIds].sort().join('\n') !== [...after.homeIds].sort().join('\n')) return 'homes changed';
  if (after.passwordHash !== before.passwordHash) return 'password changed';
  return undefined;
}
