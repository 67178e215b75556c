import { dumpRecent, killAll, markTestStart } from "./helpers/processes";

/** Root hooks: dump process output when a test fails; kill every process we started, always. */
export const mochaHooks = {
  beforeEach(): void {
    markTestStart();
  },
  afterEach(this: Mocha.Context): void {
    if (this.currentTest?.state === "failed") dumpRecent();
  },
  async afterAll(): Promise<void> {
    await killAll();
  },
};
