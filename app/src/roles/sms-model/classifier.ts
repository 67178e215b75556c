/**
 * A multinomial naive Bayes spam classifier over word tokens, counted once per message
 * ("binarised" NB, which suits short texts and long e-mails alike). Training and prediction
 * share `tokenize`, so a model always sees text the way it was trained on it.
 */

export type Label = "spam" | "ham";

/** One labelled training or evaluation text. */
export interface Sample {
  text: string;
  label: Label;
}

/** Training knobs: each model version is one set of these. */
export interface TrainParams {
  /** Laplace/Lidstone smoothing added to every token count. */
  alpha: number;
  /** Keep this many tokens, the most frequent across training messages. */
  vocabularySize: number;
  /** Ignore tokens seen in fewer training messages than this. */
  minDocuments: number;
}

/** What held-out evaluation measured. */
export interface Evaluation {
  samples: number;
  accuracy: number;
  /** Of the messages called spam, the share that was spam. */
  spamPrecision: number;
  /** Of the spam messages, the share called spam. */
  spamRecall: number;
}

/** The artefact a model version is: plain JSON, loaded once at start. */
export interface ModelArtefact {
  format: 1;
  version: string;
  classifier: string;
  params: TrainParams;
  /** Where the training data came from and how it was split. */
  data: { source: string; trainSamples: number; heldOutSamples: number; split: string; fingerprint: string };
  heldOut: Evaluation;
  logPrior: Record<Label, number>;
  vocabulary: string[];
  /** log P(token | label) for each vocabulary entry, same order. */
  logLikelihood: Record<Label, number[]>;
}

const TOKEN_RE = /[a-z0-9$£€']+|!+/g;

/**
 * Lower-cased word tokens; numbers collapse to `<num>` (prices, phone numbers and codes say
 * "spam" as a class, not as a value), and runs of `!` are one token.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(TOKEN_RE)) {
    let t = m[0].replace(/^'+|'+$/g, "");
    if (t === "") continue;
    if (/^!+$/.test(t)) t = "!";
    else if (/^[0-9]+$/.test(t)) t = "<num>";
    else if (t.length > 24) continue;
    out.push(t);
  }
  return out;
}

function uniqueTokens(text: string): Set<string> {
  return new Set(tokenize(text));
}

/** Trains a model from labelled samples. */
export function train(samples: Sample[], params: TrainParams): Omit<ModelArtefact, "version" | "data" | "heldOut"> {
  const docs: Record<Label, number> = { spam: 0, ham: 0 };
  const counts: Record<Label, Map<string, number>> = { spam: new Map(), ham: new Map() };
  const df = new Map<string, number>();
  for (const s of samples) {
    docs[s.label]++;
    for (const t of uniqueTokens(s.text)) {
      counts[s.label].set(t, (counts[s.label].get(t) ?? 0) + 1);
      df.set(t, (df.get(t) ?? 0) + 1);
    }
  }
  if (docs.spam === 0 || docs.ham === 0) throw new Error("training needs both spam and ham samples");
  const vocabulary = [...df.entries()]
    .filter(([, n]) => n >= params.minDocuments)
    // Most frequent first; ties by token so the artefact is the same on every build.
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, params.vocabularySize)
    .map(([t]) => t);
  const logLikelihood: Record<Label, number[]> = { spam: [], ham: [] };
  for (const label of ["spam", "ham"] as const) {
    const total = vocabulary.reduce((sum, t) => sum + (counts[label].get(t) ?? 0), 0);
    const denominator = Math.log(total + params.alpha * vocabulary.length);
    logLikelihood[label] = vocabulary.map((t) => round(Math.log((counts[label].get(t) ?? 0) + params.alpha) - denominator));
  }
  const n = docs.spam + docs.ham;
  return {
    format: 1,
    classifier: `naive Bayes (multinomial, binarised tokens, alpha=${params.alpha}, ${vocabulary.length} tokens)`,
    params,
    logPrior: { spam: round(Math.log(docs.spam / n)), ham: round(Math.log(docs.ham / n)) },
    vocabulary,
    logLikelihood,
  };
}

/** Six significant digits keep the artefact small and change no decision that matters. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}

/** A loaded model, ready to classify. */
export class Classifier {
  private readonly index: Map<string, number>;

  constructor(readonly model: Pick<ModelArtefact, "classifier" | "logPrior" | "vocabulary" | "logLikelihood">) {
    const m = model;
    if (m.logLikelihood.spam.length !== m.vocabulary.length || m.logLikelihood.ham.length !== m.vocabulary.length) {
      throw new Error("model artefact is inconsistent: likelihood tables and vocabulary differ in length");
    }
    this.index = new Map(m.vocabulary.map((t, i) => [t, i]));
  }

  /** The label and P(spam | text) under the model; tokens outside the vocabulary are ignored. */
  predict(text: string): { result: Label; spamProbability: number } {
    const m = this.model;
    let spam = m.logPrior.spam;
    let ham = m.logPrior.ham;
    for (const t of uniqueTokens(text)) {
      const i = this.index.get(t);
      if (i === undefined) continue;
      spam += m.logLikelihood.spam[i] ?? 0;
      ham += m.logLikelihood.ham[i] ?? 0;
    }
    // P(spam) = 1 / (1 + e^(ham - spam)), computed without overflow.
    const d = ham - spam;
    const spamProbability = d > 0 ? Math.exp(-d) / (1 + Math.exp(-d)) : 1 / (1 + Math.exp(d));
    return { result: spam > ham ? "spam" : "ham", spamProbability };
  }
}

/** Accuracy, spam precision and recall of `classifier` on `samples`. */
export function evaluate(classifier: Classifier, samples: Sample[]): Evaluation {
  let right = 0;
  let truePositive = 0;
  let predictedSpam = 0;
  let actualSpam = 0;
  for (const s of samples) {
    const { result } = classifier.predict(s.text);
    if (result === s.label) right++;
    if (result === "spam") predictedSpam++;
    if (s.label === "spam") actualSpam++;
    if (result === "spam" && s.label === "spam") truePositive++;
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : round(a / b));
  return { samples: samples.length, accuracy: ratio(right, samples.length), spamPrecision: ratio(truePositive, predictedSpam), spamRecall: ratio(truePositive, actualSpam) };
}
