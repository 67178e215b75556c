import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { contentHash } from "../components/image";

describe("AppImage content hash", () => {
  let dir: string;
  const inputs = ["package.json", "app/src"];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "statefleet-hash-"));
    fs.mkdirSync(path.join(dir, "app/src/roles"), { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), "{}");
    fs.writeFileSync(path.join(dir, "app/src/main.ts"), "main");
    fs.writeFileSync(path.join(dir, "app/src/roles/a.ts"), "a");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is the same for an unchanged tree (nothing rolls)", () => {
    expect(contentHash(dir, inputs)).to.equal(contentHash(dir, inputs)).and.to.match(/^[0-9a-f]{16}$/);
  });
  it("changes when a source file changes (pods roll)", () => {
    const before = contentHash(dir, inputs);
    fs.writeFileSync(path.join(dir, "app/src/roles/a.ts"), "a2");
    expect(contentHash(dir, inputs)).not.to.equal(before);
  });
  it("changes when a file is renamed, even with the same bytes", () => {
    const before = contentHash(dir, inputs);
    fs.renameSync(path.join(dir, "app/src/roles/a.ts"), path.join(dir, "app/src/roles/b.ts"));
    expect(contentHash(dir, inputs)).not.to.equal(before);
  });
  it("ignores files the image does not contain", () => {
    const before = contentHash(dir, inputs);
    fs.writeFileSync(path.join(dir, "README.md"), "docs");
    expect(contentHash(dir, inputs)).to.equal(before);
  });
  it("fails loudly when pointed at a tree without image inputs", () => {
    expect(() => contentHash(path.join(dir, "nowhere"), inputs)).to.throw(/no image inputs/);
  });
});
