/**
 * Issue 7 item 6, the long run: backups of a RUNNING hub process while
 * bracelets send alarms and homes are being created, each restored into a new
 * dir and checked: the manifest's files and journal anchor, the chain, and
 * that every alert in the copied journal belongs to a home in the copied
 * registry and every alarm's device to a device in it. The last copy, taken
 * at rest, must match the live hub's API exactly.
 *
 *   npx tsx tests/long/backup.ts [--backups 10] [--devices 100] [--rate 200]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyJournal } from '../../hub/storage/verify-journal.js';
import { backupDataDir, restoreDataDir } from '../../hub/tools/backup/data-backup.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { sleep } from '../conformance/raw-client.js';
import { AlarmDevice } from './lib/alarm-device.js';
import { isMain, numericFlags, report } from './lib/cli.js';
import { alarmKeysInJournal, killHard, readJournal, startHub, stopGracefully } from './lib/hub-child.js';
import { provisionBracelets } from './lib/provision.js';

export const BACKUP_DEFAULTS = { backups: 10, devices: 100, rate: 200 };

async function registryIds(dataDir: string, file: string): Promise<Set<string>> {
  const data = JSON.parse(await readFile(join(dataDir, 'registry', file), 'utf8')) as { items: Record<string, unknown> };
  return new Set(Object.keys(data.items));
}

export async function runBackups(options: Partial<typeof BACKUP_DEFAULTS> = {}, log: (l: string) => void = () => undefined) {
  const o = { ...BACKUP_DEFAULTS, ...options };
  const temp = await makeTempDir('hub-backup-');
  const source = join(temp.path, 'live');
  let hub = await startHub(source);
  try {
    const devices = await provisionBracelets(hub.api, o.devices);
    const fleet = devices.map((d) => new AlarmDevice(d, () => hub.proc.mqttPort));
    await Promise.all(fleet.map((d) => d.connect()));
    let cursor = 0;
    const alarms = setInterval(() => {
      for (let i = 0; i < o.rate / 50; i++) fleet[cursor++ % fleet.length]!.sendAlarm();
    }, 20);
    let creating = true;
    let homesCreated = 0;
    const creator = (async () => {
      while (creating) {
        await provisionBracelets(hub.api, 1);
        homesCreated++;
      }
    })();

    const runs: { ms: number; attempts: number; files: number; journalLines: number; bytes: number }[] = [];
    const problems: string[] = [];
    for (let b = 1; b <= o.backups; b++) {
      await sleep(300 + Math.random() * 700);
      const out = join(temp.path, `backup-${b}`);
      const t0 = Date.now();
      const { manifest } = await backupDataDir(source, out);
      runs.push({ ms: Date.now() - t0, attempts: manifest.attempts, files: manifest.files.length, journalLines: manifest.journal.lines, bytes: manifest.files.reduce((s, f) => s + f.bytes, 0) });
      const restored = join(temp.path, `restored-${b}`);
      await restoreDataDir(out, restored);
      const chain = await verifyJournal(join(restored, 'journal'));
      if (!chain.ok) problems.push(`backup ${b}: chain broken at ${chain.file}:${chain.line}`);
      const homes = await registryIds(restored, 'homes.json');
      const deviceIds = await registryIds(restored, 'devices.json');
      for (const line of await readJournal(restored)) {
        if (line.type === 'alert.raised' && !homes.has(line.data.alert.homeId)) problems.push(`backup ${b}: alert of unknown home ${line.data.alert.homeId}`);
      }
      for (const key of alarmKeysInJournal(await readJournal(restored)).keys()) {
        if (!deviceIds.has(key.split(':')[0]!)) problems.push(`backup ${b}: alarm of unknown device ${key}`);
      }
      log(`backup ${b}: ${runs.at(-1)!.ms} ms, ${manifest.attempts} attempt(s), journal ${manifest.journal.lines} lines`);
    }
    creating = false;
    clearInterval(alarms);
    await creator;
    const deadline = Date.now() + 30_000;
    while (fleet.some((d) => d.pending.size > 0) && Date.now() < deadline) await sleep(100);

    // At rest: a backup, restored, and a hub on it shows exactly what the live one shows.
    const finalOut = join(temp.path, 'backup-final');
    await backupDataDir(source, finalOut);
    const finalDir = join(temp.path, 'restored-final');
    await restoreDataDir(finalOut, finalDir);
    const summary = async (api: typeof hub.api) => {
      const homes = (await api.get('/api/v1/homes')).body.homes.map((h: { id: string }) => h.id).sort();
      const alerts = (await api.get('/api/v1/alerts?limit=1000')).body.alerts.map((a: { id: string; occurrences: number }) => `${a.id}:${a.occurrences}`).sort();
      return JSON.stringify({ homes, alerts });
    };
    const live = await summary(hub.api);
    for (const d of fleet) d.stop();
    await stopGracefully(hub.proc);
    hub = await startHub(finalDir);
    const copy = await summary(hub.api);
    if (copy !== live) problems.push('the hub started on the restored at-rest backup differs from the live hub');
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    return {
      figures: {
        backupsUnderLoad: runs.length,
        alarmRatePerSec: o.rate,
        homesCreatedDuringRun: homesCreated,
        backupMs: { min: ms[0], max: ms.at(-1), median: ms[Math.floor(ms.length / 2)] },
        attemptsMax: Math.max(...runs.map((r) => r.attempts)),
        lastJournalLines: runs.at(-1)?.journalLines,
        lastBytes: runs.at(-1)?.bytes,
        atRestIdentical: copy === live,
        problems,
      },
      pass: problems.length === 0,
    };
  } finally {
    await killHard(hub.proc);
    await temp.remove();
  }
}

if (isMain(import.meta.url)) {
  const r = await runBackups(numericFlags(BACKUP_DEFAULTS), (l) => process.stderr.write(`${l}\n`));
  await report('backup', r.figures, r.pass);
}
