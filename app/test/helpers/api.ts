import { expect } from "chai";
import { ObjectId, type MongoClient } from "mongodb";
import type { Outcome } from "./load";
import type { RoleProcess } from "./role";

export interface DataBody {
  status: string;
  writes: string[];
  reads: Array<string | null>;
  timestamp: string;
  cached: boolean;
}

/** GET /api/data, expecting a 200. */
export async function data(app: Pick<RoleProcess, "get">): Promise<DataBody> {
  const res = await app.get("/api/data");
  expect(res.status, res.body).to.equal(200);
  return JSON.parse(res.body) as DataBody;
}

export async function totalDocuments(app: Pick<RoleProcess, "get">): Promise<number> {
  const res = await app.get("/api/stats");
  expect(res.status, res.body).to.equal(200);
  return (JSON.parse(res.body) as { total_documents: number }).total_documents;
}

/** The write ids of every request answered 200. */
export function acknowledgedIds(outcomes: Outcome[]): string[] {
  return outcomes.filter((o) => o.status === 200).flatMap((o) => (JSON.parse(o.body ?? "{}") as DataBody).writes);
}

/** Every document id in the api's collection, read behind the role's back. */
export async function storedIds(client: MongoClient, database: string): Promise<Set<string>> {
  const docs = await client.db(database).collection<{ _id: ObjectId }>("records").find({}, { projection: { _id: 1 } }).toArray();
  return new Set(docs.map((d) => d._id.toHexString()));
}

export { metricValue } from "./prom-text";
