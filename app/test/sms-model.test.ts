import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Classifier, evaluate, tokenize, type ModelArtefact, type Sample } from "../src/roles/sms-model/classifier";
import { MODEL_VERSIONS, isHeldOut, loadCorpus } from "../src/roles/sms-model/train";
import { post } from "./helpers/net";
import { RoleProcess } from "./helpers/role";

const MODELS = path.resolve(__dirname, "..", "dist", "models");
/** The floor every shipped model must clear on messages it never saw (docs/sms.md quotes the numbers). */
const ACCURACY_FLOOR = 0.95;

function artefact(version: string): ModelArtefact {
  return JSON.parse(readFileSync(path.join(MODELS, `${version}.json`), "utf8")) as ModelArtefact;
}

/** The models the build trained: real classifiers, measured on a held-out split. */
describe("sms-model classifiers", function () {
  let heldOut: Sample[];
  let trainSize: number;
  before(function () {
    const corpus = loadCorpus();
    heldOut = corpus.heldOut;
    trainSize = corpus.trainSet.length;
  });

  it("tokenises case-insensitively, collapses numbers and runs of '!'", function () {
    expect(tokenize("WIN £1000 now!!! Call 0800-123, it's 'free'")).to.deep.equal(["win", "£1000", "now", "!", "call", "<num>", "<num>", "it's", "free"]);
  });

  it("holds out about a fifth of the corpus, the same messages for every version", function () {
    expect(heldOut.length / (heldOut.length + trainSize)).to.be.within(0.15, 0.25);
    expect(isHeldOut("00000005")).to.equal(true);
    expect(isHeldOut("00000006")).to.equal(false);
  });

  for (const version of Object.keys(MODEL_VERSIONS)) {
    it(`${version}: held-out accuracy is at least ${ACCURACY_FLOOR}, and the artefact reports what it scores`, function () {
      const a = artefact(version);
      expect(a.version).to.equal(version);
      expect(a.params).to.deep.equal(MODEL_VERSIONS[version]);
      const measured = evaluate(new Classifier(a), heldOut);
      expect(measured.samples).to.equal(heldOut.length);
      expect(measured.accuracy).to.be.at.least(ACCURACY_FLOOR);
      expect(measured.spamRecall).to.be.at.least(0.9);
      expect(measured.spamPrecision).to.be.at.least(0.9);
      expect(a.heldOut).to.deep.equal(measured);
    });
  }

  it("ships three different models (the canary and the shadow are not copies of v1)", function () {
    const sizes = Object.keys(MODEL_VERSIONS).map((v) => artefact(v).vocabulary.length);
    expect(new Set(sizes).size).to.equal(3);
  });

  it("calls short SMS-style spam spam and everyday messages ham, in every version", function () {
    const spam = ["WINNER! You have won a free prize worth $1000. Call now to claim your cash reward", "Limited time offer: click here for your free credit card, no fees"];
    const ham = ["Are we still meeting for lunch tomorrow?", "Can you send me the report before the meeting on Monday"];
    for (const v of Object.keys(MODEL_VERSIONS)) {
      const c = new Classifier(artefact(v));
      for (const s of spam) expect(c.predict(s).result, `${v}: ${s}`).to.equal("spam");
      for (const h of ham) expect(c.predict(h).result, `${v}: ${h}`).to.equal("ham");
    }
  });

  it("the running sms-model answers what its artefact predicts", async function () {
    const model = await RoleProcess.start("sms-model", { MODEL_VERSION: "v3" });
    try {
      const c = new Classifier(artefact("v3"));
      const texts = heldOut.map((s) => s.text.trim()).filter((t) => t.length > 0 && [...t].length <= 1600).slice(0, 40);
      expect(texts.length).to.equal(40);
      for (const t of texts) {
        const res = await post(`${model.url}/predict`, JSON.stringify({ sms: t }));
        expect(res.status, res.body).to.equal(200);
        expect(JSON.parse(res.body).result).to.equal(c.predict(t).result);
      }
    } finally {
      await model.stop();
    }
  });
});
