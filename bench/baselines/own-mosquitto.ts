/**
 * A Mosquitto of the bench's own on a free loopback port (issue 14: the
 * system one on 1883 is shared with other work on this machine, and keeps
 * Nagle on its side). In memory (no persistence), TCP_NODELAY on, anonymous,
 * loopback only. Used when a `mosquitto` binary is on the PATH.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OwnMosquitto {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** The mosquitto binary's path, or undefined when it is not installed. */
export function mosquittoBinary(): string | undefined {
  for (const path of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto']) {
    try {
      execFileSync(path, ['-h'], { stdio: 'ignore' });
    } catch (err) {
      // `mosquitto -h` exits 3 after printing its usage: it exists.
      if ((err as { status?: number }).status !== undefined) return path;
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export async function startOwnMosquitto(binary: string): Promise<OwnMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'set_tcp_nodelay true', 'persistence false', 'max_queued_messages 100000', 'log_dest none', ''].join('\n'));
  const child: ChildProcess = spawn(binary, ['-c', conf], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await answers(port))) {
    child.kill('SIGKILL');
    throw new Error(`own mosquitto did not listen on ${port}`);
  }
  return {
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
