// Labs started by this process are removed when it ends, however it ends short of SIGKILL: a test that fails
// half-way, or a ^C, leaves nothing behind. The hooks are installed once, on first use.
import { teardownLabSync } from "./teardown";

const ownedLabs = new Set<string>();
let exitHookInstalled = false;

function stopOwnedLabsSync(): void {
  for (const name of [...ownedLabs]) {
    ownedLabs.delete(name);
    try {
      teardownLabSync(name);
    } catch (error) {
      process.stderr.write(`lab ${name}: teardown failed: ${(error as Error).message}\n`);
    }
  }
}

export function ownLab(name: string): void {
  ownedLabs.add(name);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", stopOwnedLabsSync);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.on(signal, () => {
      stopOwnedLabsSync();
      process.exit(code);
    });
  }
}

/** The lab is removed (or handed over to `lab up`'s user): no longer this process's to remove. */
export function disownLab(name: string): void {
  ownedLabs.delete(name);
}
