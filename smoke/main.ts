/** Entry point of `npm run smoke`; see smoke/run.ts and README.md, "After `up`: smoke test". */
import { runSmoke } from "./run";

runSmoke(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`smoke: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
