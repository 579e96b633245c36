// Preloaded (`node --import`) into every `tsuiki serve` a fault test spawns: a server whose
// test runner is gone (killed by a CI timeout, crashed) kills itself instead of living on
// as an orphan holding ports and database connections. It does nothing while the parent lives.
import { readFileSync } from 'node:fs';

/** The parent pid as the kernel sees it now (process.ppid is read once at start-up). */
function currentParent() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

const parent = currentParent();
if (parent !== undefined) {
  setInterval(() => {
    if (currentParent() !== parent) process.kill(process.pid, 'SIGKILL');
  }, 500).unref();
}
