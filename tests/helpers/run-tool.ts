/**
 * Runs one of the hub's npm tools (`hub/tools/*.ts`) as a user does: a child
 * process through tsx, with its stdout, stderr and exit code. The hub's own
 * store variables are removed from the inherited environment so that only
 * what a test passes decides where the tool looks.
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './hub-process.js';

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository root with exactly `env`; resolves with its output and exit code. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runTool(script: string, args: string[], env: Record<string, string> = {}): Promise<ToolRun> {
  const { HUB_DATA_DIR: _dir, HUB_DATABASE_URL: _url, ...baseEnv } = process.env;
  return runCommand(process.execPath, ['--import', 'tsx', script, ...args], { ...baseEnv, ...env });
}
