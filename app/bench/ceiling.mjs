#!/usr/bin/env node
// A strategy's fair ceiling for stats-bench.mjs: a bare node:http server that does the same
// durable work per request as the role and nothing else (no routing, page, metrics, logging).
//
//   node ceiling.mjs file <port> <dir>        one record per request appended to a file kept
//                                             open, one write + fdatasync per group commit
//                                             (the role's own GroupCommit, from dist/); the
//                                             write is a synchronous page-cache syscall and
//                                             only fdatasync goes to the thread pool (the
//                                             cheapest way Node has on a local disk)
//   node ceiling.mjs file-pool <port> <dir>   the same with the write through the thread pool
//                                             too, as a server must do it on a network
//                                             filesystem (the shared-volume strategy)
//   node ceiling.mjs redis-lua <port> <url>   the stats role's Lua script (HITS_LUA), one call per
//                                             group of requests, grouped as the role groups them
//   node ceiling.mjs redis-incr <port> <url>  pingpong's INCRBY, one per group of requests
//
// It answers GET / with 200 "ok" once the work is durable, like the roles' acknowledgement rule.
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { fdatasync, write, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
const [kind, portText, where] = process.argv.slice(2);
const port = Number(portText);

/** @returns {Promise<() => Promise<unknown>>} the per-request durable operation */
async function durableOp() {
  if (kind === "file" || kind === "file-pool") {
    const { GroupCommit } = require(path.join(dist, "state", "group-commit.js"));
    const handle = await open(path.join(where, "ceiling.log"), "a");
    let n = 0;
    const batcher = new GroupCommit(async (ops) => {
      const line = Buffer.from(ops.map(() => `00000000 ${++n}\n`).join(""));
      // Callback APIs on the kept-open descriptor (FileHandle's promise methods cost more CPU).
      if (kind === "file") writeSync(handle.fd, line, 0, line.length, null);
      else await new Promise((resolve, reject) => write(handle.fd, line, 0, line.length, null, (err) => (err ? reject(err) : resolve())));
      await new Promise((resolve, reject) => fdatasync(handle.fd, (err) => (err ? reject(err) : resolve())));
      return ops;
    });
    return () => batcher.submit(null);
  }
  const Redis = require("ioredis");
  const client = new Redis(where, { enableOfflineQueue: true, maxRetriesPerRequest: 0 });
  // Grouped the way the roles group them: up to REDIS_GROUPS_IN_FLIGHT calls travelling, the
  // requests that arrive meanwhile share the next call.
  const { PipelinedGroups } = require(path.join(dist, "state", "group-commit.js"));
  const { HITS_LUA, REDIS_GROUPS_IN_FLIGHT } = require(path.join(dist, "state", "pairs", "redis-pairs.js"));
  if (kind === "redis-lua") {
    client.defineCommand("statsHits", { numberOfKeys: 2, lua: HITS_LUA });
    let i = 0;
    const groups = new PipelinedGroups(async (ops) => {
      const view = await client.statsHits("ceiling:counts", "ceiling:seen", ...ops.flatMap((us) => ['["127.0.0.1","127.0.0.11"]', us]));
      return ops.map(() => view);
    }, REDIS_GROUPS_IN_FLIGHT);
    return () => groups.submit(Date.now() * 1000 + (i++ % 1000));
  }
  if (kind === "redis-incr") {
    const groups = new PipelinedGroups(async (ops) => {
      const after = await client.incrby("ceiling:counter", ops.length);
      return ops.map((_, k) => after - ops.length + k);
    }, REDIS_GROUPS_IN_FLIGHT);
    return () => groups.submit(null);
  }
  throw new Error(`unknown ceiling kind ${kind} (file, file-pool, redis-lua, redis-incr)`);
}

const op = await durableOp();
http
  .createServer((req, res) => {
    op().then(
      () => {
        res.setHeader("content-type", "text/plain");
        res.end("ok");
      },
      (err) => {
        res.statusCode = 503;
        res.end(String(err));
      },
    );
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
