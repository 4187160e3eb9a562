/** Raw mqtt.js connections for broker-level tests (the simulators cover realistic devices). */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export async function connectDevice(url: string, deviceId: string, secret: string, extra: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: deviceId,
    username: deviceId,
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...extra,
  });
}

/**
 * Connects a device just provisioned on another cluster node: that node learns of it through
 * the registry change feed a moment after the leader's commit, and refuses it (CONNACK 4)
 * until then. Tried again on that refusal only, for up to `withinMs`.
 */
export async function connectDeviceOnceKnown(url: string, deviceId: string, secret: string, extra: IClientOptions = {}, withinMs = 15_000): Promise<MqttClient> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await connectDevice(url, deviceId, secret, extra);
    } catch (err) {
      if ((err as { code?: number }).code !== 4 || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Resolves with the CONNACK return code the broker refused with (or throws if it accepted). */
export async function connackCode(url: string, options: IClientOptions): Promise<number> {
  try {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    await client.endAsync();
    throw new Error('broker accepted the connection');
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

export function waitForClose(client: MqttClient, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connection was not closed')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A device's side of the command channel (issue 10): subscribes to its cmd
 * topic, records every command it receives (mqtt.js PUBACKs each one), and
 * confirms one with a `cmd_ack` event when the test says so.
 */
export class CommandInbox {
  readonly received: any[] = [];
  private waiters: { match: (c: any) => boolean; resolve: (c: any) => void }[] = [];

  private constructor(
    readonly client: MqttClient,
    readonly deviceId: string,
  ) {
    client.on('message', (topic, payload) => {
      if (topic !== `hc/v1/${deviceId}/cmd`) return;
      const command = JSON.parse(payload.toString());
      this.received.push(command);
      this.waiters = this.waiters.filter((w) => (w.match(command) ? (w.resolve(command), false) : true));
    });
  }

  static async open(client: MqttClient, deviceId: string, qos: 0 | 1 = 1): Promise<CommandInbox> {
    const inbox = new CommandInbox(client, deviceId);
    await client.subscribeAsync(`hc/v1/${deviceId}/cmd`, { qos });
    return inbox;
  }

  /** The first command (already received or still to come) that matches. */
  next(match: (c: any) => boolean = () => true, timeoutMs = 5_000): Promise<any> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.deviceId}: no matching command within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`)), timeoutMs);
      this.waiters.push({ match, resolve: (c) => (clearTimeout(timer), resolve(c)) });
    });
  }

  /** Publishes `{"type":"cmd_ack","cmdId":…}` with QoS 1; resolves on its PUBACK (the hub has stored it). */
  async confirm(cmdId: string, seq?: number): Promise<void> {
    await this.client.publishAsync(`hc/v1/${this.deviceId}/event`, JSON.stringify({ type: 'cmd_ack', cmdId, ...(seq === undefined ? {} : { seq }) }), { qos: 1 });
  }
}
