import { TaskPhase, type TaskUpdate } from "@baaaht/proto/web/v1";

const PHASE_NAMES: Record<TaskPhase, string> = {
  [TaskPhase.UNSPECIFIED]: "",
  [TaskPhase.QUEUED]: "queued",
  [TaskPhase.RUNNING]: "running",
  [TaskPhase.COMPLETED]: "completed",
  [TaskPhase.FAILED]: "failed",
  [TaskPhase.CANCELLED]: "cancelled",
};

/** One task's card: its title and phase, a progress bar and its output. */
interface TaskCard {
  item: HTMLElement;
  status: HTMLElement;
  bar: HTMLProgressElement;
  output: HTMLElement;
}

/** The chat's tasks (a region named "Tasks", shown once there is one), each with a progress bar and its output. */
export class TasksView {
  readonly #region: HTMLElement;
  readonly #list: HTMLElement;
  readonly #cards = new Map<string, TaskCard>();

  constructor(region: HTMLElement, list: HTMLElement) {
    this.#region = region;
    this.#list = list;
  }

  clear(): void {
    this.#cards.clear();
    this.#list.replaceChildren();
    this.#region.hidden = true;
  }

  update(task: TaskUpdate): void {
    const card = this.#cards.get(task.taskId) ?? this.#add(task);
    const phase = PHASE_NAMES[task.phase];
    card.item.dataset.phase = phase;
    card.status.textContent = `${phase}${task.message === "" ? "" : `: ${task.message}`}`;
    card.bar.value = task.percent;
    card.bar.textContent = `${Math.round(task.percent)}%`;
    if (task.output !== "") card.output.textContent += task.output;
  }

  #add(task: TaskUpdate): TaskCard {
    const item = document.createElement("li");
    item.dataset.taskId = task.taskId;
    const title = document.createElement("span");
    title.className = "task-title";
    title.textContent = task.title;
    const status = document.createElement("span");
    status.className = "task-status";
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", `${task.title} progress`);
    const output = document.createElement("pre");
    output.setAttribute("aria-label", `${task.title} output`);
    item.append(title, " ", status, bar, output);
    this.#list.append(item);
    this.#region.hidden = false;
    const card = { item, status, bar, output };
    this.#cards.set(task.taskId, card);
    return card;
  }
}
