import { expect } from "chai";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Classifier, evaluate, tokenize, train, type ModelArtefact, type Sample, type TrainParams } from "../src/roles/sms-model/classifier";
import { MODEL_VERSIONS, emailText, isHeldOut, loadCorpus, trainModels } from "../src/roles/sms-model/train";
import { post } from "./helpers/net";
import { RoleProcess } from "./helpers/role";
import { tempDir } from "./helpers/tmp";

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

  it("tokenises quotes off both ends, keeps digits inside words, and drops tokens over 24 characters", function () {
    expect(tokenize("''quoted'' ' '' 4u 2day 007")).to.deep.equal(["quoted", "4u", "2day", "<num>"]);
    expect(tokenize(`${"a".repeat(24)} ${"b".repeat(25)}`)).to.deep.equal(["a".repeat(24)]);
  });

  it("reads an e-mail as its subject and body: no other headers, no HTML, quoted-printable decoded", function () {
    const raw = "From: x@example.com\r\nSUBJECT: Cheap meds\r\nX-Spam: yes\r\n\r\n<p>Buy&nbsp;now =\r\nplease</p>=3D=41";
    // One decoding pass: "=3D" gives "=", which does not start another escape.
    expect(emailText(raw)).to.equal(" Cheap meds\n\r\n\r\n Buy now please =A");
    expect(emailText("Subject: only headers"), "no body").to.equal(" only headers\n");
    expect(emailText("From: a\n\nhello"), "no subject").to.equal("\n\n\nhello");
  });

  it("holds out about a fifth of the corpus, the same messages for every version", function () {
    expect(heldOut.length / (heldOut.length + trainSize)).to.be.within(0.15, 0.25);
    expect(isHeldOut("00000005")).to.equal(true);
    expect(isHeldOut("00000006")).to.equal(false);
    expect(isHeldOut("0000000aFFFF"), "the first 8 hex digits decide").to.equal(true);
  });

  it("labels every spam group spam and everything else ham", function () {
    // The corpus' groups: spam, spam_2, easy_ham, easy_ham_2, hard_ham.
    const spamShare = (samples: Sample[]) => samples.filter((s) => s.label === "spam").length / samples.length;
    expect(spamShare(heldOut)).to.be.within(0.25, 0.4);
  });

  it("trains the shipped models again from the corpus, byte for byte but the fingerprint, and skips a second run", function () {
    this.timeout(180_000);
    const dir = tempDir("sms-train");
    try {
      const said: string[] = [];
      trainModels(dir.path, (line) => said.push(line));
      expect(said.at(-1)).to.match(/^trained 3 models on \d+ messages in \d+ ms\n$/);
      for (const v of Object.keys(MODEL_VERSIONS)) {
        const { data: trainedData, ...trained } = JSON.parse(readFileSync(path.join(dir.path, `${v}.json`), "utf8")) as ModelArtefact;
        const { data: shippedData, ...shipped } = artefact(v);
        expect(trained, v).to.deep.equal(shipped);
        expect({ ...trainedData, fingerprint: "" }, v).to.deep.equal({ ...shippedData, fingerprint: "" });
      }
      const before = statSync(path.join(dir.path, "v1.json")).mtimeMs;
      trainModels(dir.path, (line) => said.push(line));
      expect(said.at(-1)).to.match(/^models in .* are up to date \([0-9a-f]{16}\)\n$/);
      expect(statSync(path.join(dir.path, "v1.json")).mtimeMs).to.equal(before);
    } finally {
      dir.remove();
    }
  });

  it("needs both labels to train", function () {
    expect(() => train([{ text: "free prize", label: "spam" }], MODEL_VERSIONS.v1 as TrainParams)).to.throw("training needs both spam and ham samples");
  });

  it("builds the vocabulary from tokens in at least minDocuments messages, most frequent first, ties by token", function () {
    const samples: Sample[] = [
      { text: "win cash now", label: "spam" },
      { text: "win a prize", label: "spam" },
      { text: "lunch now", label: "ham" },
      { text: "cash for lunch", label: "ham" },
    ];
    const m = train(samples, { alpha: 1, vocabularySize: 3, minDocuments: 2 });
    expect(m.vocabulary).to.deep.equal(["cash", "lunch", "now"]);
    expect(m.logPrior).to.deep.equal({ spam: Number(Math.log(0.5).toPrecision(6)), ham: Number(Math.log(0.5).toPrecision(6)) });
    // Laplace smoothing over the vocabulary: spam saw cash 1, lunch 0, now 1 (total 2), plus alpha each.
    const ll = (count: number, total: number) => Number((Math.log(count + 1) - Math.log(total + 3)).toPrecision(6));
    expect(m.logLikelihood).to.deep.equal({ spam: [ll(1, 2), ll(0, 2), ll(1, 2)], ham: [ll(1, 4), ll(2, 4), ll(1, 4)] });
    expect(m.classifier).to.equal("naive Bayes (multinomial, binarised tokens, alpha=1, 3 tokens)");
  });

  it("gives P(spam) from the log odds without overflow, and ham on a tie", function () {
    const model = (spam: number, ham: number) => new Classifier({ classifier: "t", logPrior: { spam, ham }, vocabulary: [], logLikelihood: { spam: [], ham: [] } });
    expect(model(Math.log(0.25), Math.log(0.75)).predict("x")).to.deep.include({ result: "ham" });
    expect(model(Math.log(0.25), Math.log(0.75)).predict("x").spamProbability).to.be.closeTo(0.25, 1e-12);
    expect(model(Math.log(0.75), Math.log(0.25)).predict("x").spamProbability).to.be.closeTo(0.75, 1e-12);
    expect(model(Math.log(0.75), Math.log(0.25)).predict("x").result).to.equal("spam");
    expect(model(-1, -1).predict("x")).to.deep.equal({ result: "ham", spamProbability: 0.5 });
    expect(model(0, -2000).predict("x").spamProbability).to.equal(1);
    expect(model(-2000, 0).predict("x").spamProbability).to.equal(0);
    expect(() => new Classifier({ classifier: "t", logPrior: { spam: 0, ham: 0 }, vocabulary: ["a"], logLikelihood: { spam: [], ham: [0] } })).to.throw(/inconsistent/);
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
