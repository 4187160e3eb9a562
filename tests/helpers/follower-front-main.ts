/**
 * A follower front as its own process (`node --import tsx` this file), so a
 * test can measure its memory alone: the leader is FOLLOWER_LEADER_URL; the
 * port is printed as `follower front on port N`.
 */
import { startFollowerFront } from './follower-front.js';

const leaderUrl = process.env.FOLLOWER_LEADER_URL;
const front = await startFollowerFront(() => leaderUrl);
process.stdout.write(`follower front on port ${front.port}\n`);
process.on('SIGTERM', () => void front.close().then(() => process.exit(0)));
