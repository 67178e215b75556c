import { dumpRecent, inProcessHooks, killAll, markTestStart } from "./helpers/processes";

/** Root hooks: dump process output when a test fails; kill every process and close every in-process role we started, always. */
export const mochaHooks = {
  beforeEach(): void {
    markTestStart();
  },
  afterEach(this: Mocha.Context): void {
    if (this.currentTest?.state === "failed") {
      dumpRecent();
      inProcessHooks.dump?.();
    }
  },
  async afterAll(): Promise<void> {
    await Promise.all([killAll(), inProcessHooks.closeAll?.()]);
  },
};
