import type { ServerPart, SyncServerPartFactory } from '../server-part.ts';
import { type Liveness, startLiveness } from './liveness.ts';

/**
 * This process as a live worker (see `liveness.ts`): first to start, so the claims of a
 * process that died before this one started are released before any worker here claims,
 * and last to stop, after every worker has finished what it held.
 */
export const livenessPart: SyncServerPartFactory = ({ runtime, logger }): ServerPart => {
  let liveness: Liveness | undefined;
  const log = logger.child({ part: 'liveness' });
  return {
    name: 'liveness',
    async start() {
      liveness = await startLiveness(runtime.database, { clock: runtime.app.clock, logger: log });
      await liveness.reap();
    },
    async stop() {
      await liveness?.stop();
    },
  };
};
