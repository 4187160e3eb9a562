/**
 * The last resort for a bug (issue 10 item 3, DESIGN.md §11): an error that
 * escaped every handler leaves the process in a state nobody planned for, and
 * a hub that limps on may silently stop raising alarms for every home. So it
 * logs one structured line and exits at once with EX_SOFTWARE, and the
 * supervisor (docs/deploy/home-care-hub.service) starts a fresh process. No
 * graceful stop is attempted: every alarm a device saw acknowledged is already
 * fsync'd in the journal (DESIGN.md §6), and the restart replays it.
 */
import type { Logger } from './logger.js';

/** sysexits.h EX_SOFTWARE: "an internal software error has been detected". */
export const CRASH_EXIT_CODE = 70;

export function exitOnUnexpectedError(log: Logger, exit: (code: number) => never = process.exit): void {
  let exiting = false;
  const die = (kind: 'uncaught exception' | 'unhandled rejection') => (err: unknown) => {
    // A second error while exiting (e.g. from the logger itself) must not log again or change the code.
    if (exiting) return;
    exiting = true;
    try {
      log.fatal({ err, kind, exitCode: CRASH_EXIT_CODE }, `${kind}: exiting so the supervisor restarts the hub`);
    } finally {
      exit(CRASH_EXIT_CODE);
    }
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
}
