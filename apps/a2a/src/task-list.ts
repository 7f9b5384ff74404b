import { TaskState, type ListTasksRequest, type ListTasksResponse, type Task } from "@a2a-js/sdk";
import { RequestMalformedError } from "@a2a-js/sdk/errors";

/** ListTasks page sizes (A2A 1.0: 1 to 100, 50 when unset). */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

/** A date and time as ISO 8601 writes it (RFC 3339), as `statusTimestampAfter` must be. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Where a page starts: after the task with this status time and id, in list order. */
type Cursor = [timestamp: string, id: string];

const encodeCursor = (task: Task): string => Buffer.from(JSON.stringify([task.status?.timestamp ?? "", task.id])).toString("base64url");

function decodeCursor(token: string): Cursor {
  try {
    const cursor: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(cursor) && cursor.length === 2 && cursor.every((part) => typeof part === "string")) return cursor as Cursor;
  } catch {
    // reported below
  }
  throw new RequestMalformedError("pageToken is not a token this server gave (pass a nextPageToken back unchanged)");
}

/** The list order: the latest status first, then by id. */
function compare(a: Task, b: Task): number {
  const at = a.status?.timestamp ?? "";
  const bt = b.status?.timestamp ?? "";
  return at === bt ? a.id.localeCompare(b.id) : at < bt ? 1 : -1;
}

/** Checks a history length (GetTask, ListTasks): unset or 0 and more. */
export function checkHistoryLength(historyLength: number | undefined): void {
  if (historyLength !== undefined && !(Number.isInteger(historyLength) && historyLength >= 0)) {
    throw new RequestMalformedError(`historyLength must be 0 or more (got ${historyLength})`);
  }
}

/** The task with at most `historyLength` of its latest history messages (unset: all of them; 0: none). */
export function limitHistory(task: Task, historyLength: number | undefined): Task {
  if (historyLength === undefined || task.history.length <= historyLength) return task;
  return { ...task, history: historyLength === 0 ? [] : task.history.slice(-historyLength) };
}

/** Checks a ListTasks request's filters and page parameters before any task is read. */
export function checkListRequest(params: ListTasksRequest): void {
  const { pageSize, status, statusTimestampAfter } = params;
  if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) {
    throw new RequestMalformedError(`pageSize must be from 1 to ${MAX_PAGE_SIZE} (got ${pageSize})`);
  }
  if (!Object.values(TaskState).includes(status) || (status as number) < 0) throw new RequestMalformedError("status is not a task state");
  if (statusTimestampAfter !== undefined && !(ISO_8601.test(statusTimestampAfter) && !Number.isNaN(Date.parse(statusTimestampAfter)))) {
    throw new RequestMalformedError(`statusTimestampAfter must be an ISO 8601 time (got "${statusTimestampAfter.slice(0, 64)}")`);
  }
  checkHistoryLength(params.historyLength);
  if (params.pageToken) decodeCursor(params.pageToken);
}

/**
 * One page of the tasks a ListTasks request asks for (A2A 1.0 section 3.1.4): filtered by
 * status and status time, latest status first, after the page token's task; history limited,
 * artifacts only when asked for. `pageSize` is the number of tasks on the page, `totalSize`
 * the number matching before paging. (The context filter is applied by the caller, which
 * reads only that context's tasks.)
 */
export function listPage(all: Task[], params: ListTasksRequest): ListTasksResponse {
  checkListRequest(params);
  const after = params.statusTimestampAfter === undefined ? undefined : Date.parse(params.statusTimestampAfter);
  const matching = all
    .filter((t) => params.status === TaskState.TASK_STATE_UNSPECIFIED || t.status?.state === params.status)
    .filter((t) => after === undefined || Date.parse(t.status?.timestamp ?? "") >= after)
    .sort(compare);
  let start = 0;
  if (params.pageToken) {
    const [timestamp, id] = decodeCursor(params.pageToken);
    const cursor = { id, status: { timestamp } } as Task;
    start = matching.findIndex((t) => compare(t, cursor) > 0);
    if (start < 0) start = matching.length;
  }
  const size = params.pageSize ?? DEFAULT_PAGE_SIZE;
  const page = matching.slice(start, start + size).map((t) => {
    const limited = limitHistory(t, params.historyLength);
    return params.includeArtifacts ? limited : { ...limited, artifacts: [] };
  });
  const more = start + size < matching.length;
  return { tasks: page, nextPageToken: more ? encodeCursor(page.at(-1)!) : "", pageSize: page.length, totalSize: matching.length };
}
