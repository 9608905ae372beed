// Covered by spec/integration/sync/schema-pairs.spec.ts.
import type { BridgeData } from './bridge.js';

/** On a bridge's thread: sends an answer and wakes the thread blocked in {@link SyncBridge.wait}. */
export function answerer({ flag, port }: Pick<BridgeData, 'flag' | 'port'>): (message: unknown) => void {
  return (message) => {
    port.postMessage(message);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
}
