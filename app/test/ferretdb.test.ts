import { expect } from "chai";
import type { MongoClient } from "mongodb";
import { MongoServer } from "./helpers/mongo";

/**
 * The tests' Mongo-protocol server must keep MongoDB's per-document atomicity, or every
 * "exact count" test on STATE=mongo and the api role proves nothing. FerretDB v1 alone loses
 * concurrent updates; tools/ferretdb serialises the wire messages in front of it.
 */
describe("the Mongo-protocol test server (FerretDB + serialising proxy)", function () {
  let server: MongoServer;
  let client: MongoClient;

  before(async function () {
    server = await MongoServer.start();
    client = await server.client();
  });
  after(async function () {
    await client?.close();
    await server?.remove();
  });

  it("200 concurrent $inc upserts on one document give exactly 200", async function () {
    // A pool as large as the burst, so the 200 updates really are on the wire at once.
    const { MongoClient: Client } = await import("mongodb");
    const wide = await new Client(server.url("atomic"), { maxPoolSize: 200, minPoolSize: 50, retryWrites: false }).connect();
    try {
      const c = wide.db().collection<{ _id: string; n: number }>("counters");
      await Promise.all(Array.from({ length: 200 }, () => c.updateOne({ _id: "x" }, { $inc: { n: 1 } }, { upsert: true })));
      expect((await c.findOne({ _id: "x" }))?.n).to.equal(200);
    } finally {
      await wide.close();
    }
  });

  it("a conditional decrement never takes stock below zero under concurrency", async function () {
    const c = client.db("atomic").collection<{ _id: string; stock: number }>("stock");
    await c.insertOne({ _id: "item", stock: 10 });
    const results = await Promise.all(
      Array.from({ length: 40 }, () => c.findOneAndUpdate({ _id: "item", stock: { $gte: 2 } }, { $inc: { stock: -2 } })),
    );
    expect(results.filter((r) => r !== null)).to.have.length(5);
    expect((await c.findOne({ _id: "item" }))?.stock).to.equal(0);
  });

  it("keeps its data across a restart on the same port", async function () {
    const c = client.db("restart").collection("docs");
    await c.insertMany([{ a: 1 }, { a: 2 }]);
    await server.stop();
    await server.restart();
    const again = await server.client();
    try {
      expect(await again.db("restart").collection("docs").countDocuments()).to.equal(2);
    } finally {
      await again.close();
    }
  });
});
