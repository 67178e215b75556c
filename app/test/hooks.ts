import { closeAllInProcess } from "./helpers/in-process";
import { dumpRecent, killAll, markTestStart } from "./helpers/processes";

/** Root hooks: dump process output when a test fails; kill every process and close every in-process role we started, always. */
export const mochaHooks = {
  beforeEach(): void {
    markTestStart();
  },
  afterEach(this: Mocha.Context): void {
    if (this.currentTest?.state === "failed") dumpRecent();
  },
  async afterAll(): Promise<void> {
    await Promise.all([killAll(), closeAllInProcess()]);
  },
};
