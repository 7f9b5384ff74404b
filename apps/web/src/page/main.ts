import { ConnectError } from "@connectrpc/connect";
import type { Agent } from "@baaaht/proto/web/v1";
import { api } from "./api.js";
import { ChatController } from "./chat-controller.js";
import { ConversationView } from "./conversation-view.js";
import { chatHash, chatIdFromHash, SessionsView } from "./sessions-view.js";
import { TasksView } from "./tasks-view.js";

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const message = byId<HTMLTextAreaElement>("message");
const sendButton = byId<HTMLButtonElement>("send");
const stopButton = byId<HTMLButtonElement>("stop");
const connection = byId<HTMLElement>("connection");
const errorLine = byId<HTMLElement>("error");
const agentPicker = byId<HTMLElement>("agent-picker");
const agentSelect = byId<HTMLSelectElement>("agent");
const chatTitle = byId<HTMLElement>("chat-title");

const conversation = new ConversationView(byId("conversation"));
const sessions = new SessionsView(byId("session-list"));
const tasks = new TasksView(byId("tasks"), byId("task-list"));
let agents: Agent[] = [];
let current: ChatController | undefined;

const showError = (text: string) => (errorLine.textContent = text);

function setConnection(state: "up" | "down", detail: string): void {
  connection.dataset.state = state;
  sendButton.disabled = state !== "up";
  if (state === "down") {
    connection.textContent = `The orchestrator is unavailable; reconnecting… ${detail}`.trim();
  } else if (connection.textContent !== "") {
    connection.textContent = "Reconnected.";
    void refreshOverview();
  }
}

async function refreshOverview(): Promise<void> {
  try {
    const overview = await api.getOverview({});
    agents = overview.agents;
    const chosen = agentSelect.value;
    agentSelect.replaceChildren(
      ...agents.map((agent) => {
        const option = document.createElement("option");
        option.value = agent.id;
        option.textContent = agent.name;
        return option;
      }),
    );
    if (agents.some((a) => a.id === chosen)) agentSelect.value = chosen;
    agentPicker.hidden = agents.length < 2;
  } catch (err) {
    showError(ConnectError.from(err).rawMessage);
  }
}

async function refreshSessions(): Promise<void> {
  const { chats } = await api.listChats({});
  sessions.show(chats, current?.chatId);
}

function open(chatId: string): void {
  if (current?.chatId === chatId) return;
  current?.close();
  showError("");
  sendButton.disabled = true;
  chatTitle.textContent = "";
  sessions.markCurrent(chatId);
  byId("conversation").dataset.chatId = chatId;
  current = new ChatController(chatId, conversation, tasks, {
    connection: setConnection,
    busy: (busy) => (stopButton.disabled = !busy),
    title: (name) => (chatTitle.textContent = name),
    error: showError,
    defaultAuthor: () => agents.find((a) => a.id === agentSelect.value)?.name ?? agents[0]?.name ?? "Agent",
  });
}

async function newChat(): Promise<void> {
  const { chat } = await api.createChat({ name: "" });
  if (chat === undefined) return;
  location.hash = chatHash(chat.id);
  await refreshSessions();
  message.focus();
}

async function send(): Promise<void> {
  const text = message.value;
  if (text.trim() === "" || current === undefined || sendButton.disabled) return;
  showError("");
  sendButton.disabled = true;
  try {
    if (await current.send(text, agentPicker.hidden ? "" : agentSelect.value)) message.value = "";
  } finally {
    sendButton.disabled = connection.dataset.state !== "up";
    message.focus();
  }
}

byId<HTMLFormElement>("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  void send();
});
message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void send();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") current?.stop();
});
stopButton.addEventListener("click", () => current?.stop());
byId<HTMLButtonElement>("new-chat").addEventListener("click", () => void newChat().catch((err) => showError(ConnectError.from(err).rawMessage)));
window.addEventListener("hashchange", () => {
  const chatId = chatIdFromHash(location.hash);
  if (chatId !== undefined) open(chatId);
});

async function start(): Promise<void> {
  await refreshOverview();
  const chatId = chatIdFromHash(location.hash);
  if (chatId !== undefined) {
    open(chatId);
    await refreshSessions();
    return;
  }
  const { chats } = await api.listChats({});
  if (chats[0] !== undefined) location.replace(chatHash(chats[0].id));
  else await newChat();
  const opened = chatIdFromHash(location.hash);
  if (opened !== undefined) open(opened);
  await refreshSessions();
}

start().catch((err: unknown) => {
  setConnection("down", ConnectError.from(err).rawMessage);
  setTimeout(() => location.reload(), 3000);
});
message.focus();
