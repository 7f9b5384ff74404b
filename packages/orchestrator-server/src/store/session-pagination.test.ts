import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "@baaaht/proto/common/v1";
import { SessionSchema, SessionState } from "@baaaht/proto/orchestrator/v1";
import { encodePageToken } from "./page-token.js";
import type { SessionFilter } from "./session-repository.js";
import { openStore, type Store } from "./store.js";

const N = 1200;
const STATES = [SessionState.ACTIVE, SessionState.IDLE, SessionState.CLOSED];
const STATUS: Record<number, Status> = { [SessionState.ACTIVE]: Status.RUNNING, [SessionState.IDLE]: Status.RUNNING, [SessionState.CLOSED]: Status.STOPPED };

interface Row {
  id: string;
  state: SessionState;
  status: Status;
  ownerId: string;
  labels: Record<string, string>;
  ownerGateway: string;
}

const rows: Row[] = Array.from({ length: N }, (_, i) => {
  const state = STATES[i % 3]!;
  return {
    id: `s${String(i).padStart(4, "0")}`,
    state,
    status: STATUS[state]!,
    ownerId: `u${i % 5}`,
    labels: (i % 2 === 0 ? { team: "a", "odd key.\"x\"": String(i % 4) } : { team: "b" }) as Record<string, string>,
    ownerGateway: i % 4 === 0 ? "gw1" : "",
  };
});

function matches(row: Row, f: SessionFilter): boolean {
  return (
    (f.state === undefined || row.state === f.state) &&
    (f.status === undefined || row.status === f.status) &&
    (f.ownerId === undefined || row.ownerId === f.ownerId) &&
    (f.ownerGateway === undefined || row.ownerGateway === f.ownerGateway) &&
    Object.entries(f.labels ?? {}).every(([k, v]) => row.labels[k] === v)
  );
}

function walk(store: Store, filter: SessionFilter, pageSize: number) {
  const ids: string[] = [];
  const totals = new Set<number>();
  let token = "";
  let pages = 0;
  do {
    const page = store.sessions.list(filter, { pageSize, pageToken: token });
    ids.push(...page.items.map((r) => r.session.id));
    totals.add(page.totalCount);
    token = page.nextPageToken;
    pages++;
  } while (token && pages < 1000);
  return { ids, totals: [...totals], pages };
}

describe("session listing over 1200 sessions", () => {
  let store: Store;
  beforeAll(() => {
    store = openStore({ path: ":memory:" });
    store.transaction(() => {
      for (const r of rows) {
        const s = create(SessionSchema, { id: r.id, state: r.state, status: r.status, metadata: { ownerId: r.ownerId, labels: r.labels } });
        store.sessions.insert(s, r.ownerGateway);
      }
    });
  });
  afterAll(() => store.close());

  const filters: [string, SessionFilter][] = [
    ["no filter", {}],
    ["state", { state: SessionState.IDLE }],
    ["status", { status: Status.STOPPED }],
    ["owner", { ownerId: "u2" }],
    ["one label", { labels: { team: "a" } }],
    ["two labels, one with an odd key", { labels: { team: "a", "odd key.\"x\"": "2" } }],
    ["gateway and state", { ownerGateway: "gw1", state: SessionState.ACTIVE }],
    ["everything", { state: SessionState.ACTIVE, status: Status.RUNNING, ownerId: "u0", labels: { team: "a" }, ownerGateway: "gw1" }],
    ["nothing matches", { labels: { team: "c" } }],
  ];

  for (const [name, filter] of filters) {
    it(`pages through "${name}" in insertion order with the right total`, () => {
      const expected = rows.filter((r) => matches(r, filter)).map((r) => r.id);
      const { ids, totals, pages } = walk(store, filter, 97);
      expect(ids).toEqual(expected);
      expect(totals).toEqual([expected.length]);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 97)));
    });
  }

  it("really filters (sanity of the fixture)", () => {
    expect(walk(store, { state: SessionState.IDLE }, 500).ids).toHaveLength(400);
    expect(walk(store, { labels: { team: "a", "odd key.\"x\"": "2" } }, 500).ids).toHaveLength(300);
  });

  it("stays stable when sessions are added while paging", () => {
    const first = store.sessions.list({}, { pageSize: 100 });
    store.sessions.insert(create(SessionSchema, { id: "late", state: SessionState.ACTIVE }), "");
    const second = store.sessions.list({}, { pageSize: 100, pageToken: first.nextPageToken });
    expect(second.items[0]?.session.id).toBe(rows[100]?.id);
    expect(second.totalCount).toBe(N + 1);
  });

  it("ends with an empty token and resumes from a hand-made one", () => {
    const last = store.sessions.list({}, { pageSize: 10, pageToken: encodePageToken(N - 5) });
    expect(last.items.map((r) => r.session.id)).toEqual(rows.slice(N - 5).map((r) => r.id).concat("late"));
    expect(last.nextPageToken).toBe("");
  });

  it.each(["%%%", "bm9wZQ", encodePageToken(1) + "x", Buffer.from("p1:-1").toString("base64url"), "A".repeat(100)])(
    "rejects the malformed page token %s with INVALID_ARGUMENT naming page_token",
    (token) => {
      let error: unknown;
      try {
        store.sessions.list({}, { pageSize: 10, pageToken: token });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).message).toMatch(/page_token/);
    },
  );
});
