import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ImageRegistry } from "./cluster/types";

/** Repository name of the one app image. */
export const APP_IMAGE_REPOSITORY = "statefleet-app";

/** What goes into the image: the build reads nothing else (see app/Dockerfile and .dockerignore). */
export const IMAGE_INPUTS = ["package.json", "package-lock.json", ".dockerignore", "app/package.json", "app/tsconfig.json", "app/Dockerfile", "app/src"];

function filesUnder(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [rel];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .flatMap((e) => filesUnder(root, path.posix.join(rel, e.name)))
    .sort();
}

/**
 * sha256 over the relative path and bytes of every image input, first 16 hex chars.
 * The same tree gives the same tag (nothing rolls); any change gives a new tag (pods roll).
 */
export function contentHash(root: string, inputs: readonly string[] = IMAGE_INPUTS): string {
  const h = createHash("sha256");
  const files = inputs.flatMap((i) => filesUnder(root, i));
  if (files.length === 0) throw new Error(`no image inputs found under ${root}`);
  for (const f of files) {
    h.update(f).update("\0").update(fs.readFileSync(path.join(root, f))).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

export interface AppImageArgs {
  /** Repository root: the Docker build context. */
  context: string;
  registry: ImageRegistry;
  /** Target platform of the cluster's nodes, `os/arch[/variant]` (config/ decides it). */
  platform: string;
}

/** Builds `app/` once and pushes it where the cluster pulls from, tagged by content hash. */
export class AppImage extends pulumi.ComponentResource {
  /** What pods put in `image:` (pull address + content tag). */
  public readonly ref: pulumi.Output<string>;
  public readonly tag: string;

  constructor(name: string, args: AppImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:app:AppImage", name, {}, opts);
    this.tag = contentHash(args.context);
    const pushRef = pulumi.interpolate`${args.registry.pushAddress}/${APP_IMAGE_REPOSITORY}:${this.tag}`;
    const creds = args.registry.credentials;
    const image = new dockerBuild.Image(
      `${name}-build`,
      {
        context: { location: args.context },
        dockerfile: { location: path.join(args.context, "app", "Dockerfile") },
        // docker-build's enum lists no variants, but its provider accepts any platform BuildKit parses.
        platforms: [args.platform as dockerBuild.Platform],
        tags: [pushRef],
        push: true,
        // A preview must not need Docker; the build happens on `up`.
        buildOnPreview: false,
        registries: creds ? [{ address: args.registry.pushAddress, username: creds.username, password: creds.password }] : undefined,
      },
      { parent: this },
    );
    // Depend on the push, so no pod references a tag before it exists in the registry.
    this.ref = pulumi.all([args.registry.pullAddress, image.ref]).apply(([pull]) => `${pull}/${APP_IMAGE_REPOSITORY}:${this.tag}`);
    this.registerOutputs({ ref: this.ref });
  }
}
