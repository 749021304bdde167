// Web chat on top of @agent-gateway/client. No framework: the client does resume, replay, resync,
// tool-card state and reply assembly; this file only draws what it reports.
import { createGatewayClient, isSessionRunActive } from './vendor/agent-gateway-client.js';

const params = new URLSearchParams(location.search);
const $ = (selector) => document.querySelector(selector);

const client = createGatewayClient({
  url: location.origin,
  token: params.get('token') ?? undefined,
  // Validation is cheap at chat rates and turns a misbehaving gateway into a readable error.
  validateInbound: true,
});
// Exposed for debugging in the console and for the end-to-end test.
window.gatewayClient = client;

let currentSession = null;
/** runId -> { element, textElement, toolsElement } for the reply bubbles of the current session. */
const bubbles = new Map();
const userMessages = new Set();
let resumedCount = 0;
let resyncedCount = 0;

// ------------------------------------------------------------------ connection + resume indicator

client.on('connection', ({ state, reason }) => {
  const badge = $('#connection');
  badge.dataset.state = state;
  badge.textContent = reason && state !== 'connected' ? `${state} (${reason})` : state;
});

function showIndicator(kind, text) {
  const indicator = $('#resume-indicator');
  indicator.hidden = false;
  indicator.dataset.kind = kind;
  indicator.dataset.resumed = String(resumedCount);
  indicator.dataset.resynced = String(resyncedCount);
  indicator.textContent = text;
}

client.on('resumed', ({ sessionId, since, replayed }) => {
  resumedCount++;
  showIndicator('resume', `resumed ${sessionId} from #${since} (${replayed} replayed)`);
});

client.on('resync', ({ sessionId, reason, snapshot }) => {
  resyncedCount++;
  showIndicator('resync', `resynced ${sessionId} (${reason})`);
  if (sessionId === currentSession) renderSnapshot(snapshot);
});

client.on('error', (error) => showError(`${error.code}: ${error.message}`));

function showError(text) {
  const el = $('#error');
  el.hidden = false;
  el.textContent = text;
}

// ------------------------------------------------------------------ session list

client.on('sessions', () => renderSessions());

function renderSessions() {
  const list = $('#sessions');
  list.replaceChildren(
    ...client.sessions.list().map((row) => {
      const item = document.createElement('li');
      item.dataset.sessionId = row.sessionId;
      item.dataset.active = String(isSessionRunActive(row));
      item.setAttribute('aria-current', String(row.sessionId === currentSession));
      const name = document.createElement('span');
      name.textContent = row.sessionId;
      const status = document.createElement('span');
      status.className = 'status';
      status.textContent = isSessionRunActive(row) ? 'active' : row.status;
      item.append(name, status);
      item.addEventListener('click', () => openSession(row.sessionId));
      return item;
    }),
  );
}

// ------------------------------------------------------------------ conversation

function addUserMessage(messageId, text) {
  if (userMessages.has(messageId)) return;
  userMessages.add(messageId);
  const item = document.createElement('li');
  item.className = 'msg user';
  item.dataset.messageId = messageId;
  item.textContent = text;
  $('#messages').append(item);
}

/** One bubble per run; its text comes from the client's reply stream, so it is written exactly once. */
function ensureRunBubble(runId, { follow }) {
  let bubble = bubbles.get(runId);
  if (bubble) return bubble;
  const element = document.createElement('li');
  element.className = 'msg assistant';
  element.dataset.runId = runId;
  element.dataset.runStatus = 'running';
  const textElement = document.createElement('div');
  textElement.className = 'text';
  const toolsElement = document.createElement('div');
  toolsElement.className = 'tools';
  element.append(textElement, toolsElement);
  $('#messages').append(element);
  bubble = { element, textElement, toolsElement };
  bubbles.set(runId, bubble);
  for (const card of client.tools.cards(currentSession, runId)) renderToolCard(card);
  if (follow) void followReply(currentSession, runId, bubble);
  return bubble;
}

async function followReply(sessionId, runId, bubble) {
  for await (const part of client.reply(sessionId, runId)) {
    if (part.type === 'chunk') bubble.textElement.textContent += part.text;
    else {
      bubble.element.dataset.runStatus = part.status;
      if (part.error) showError(`${part.error.code}: ${part.error.message}`);
    }
  }
}

function renderToolCard(card) {
  const bubble = bubbles.get(card.runId);
  if (!bubble || card.sessionId !== currentSession) return;
  let element = bubble.toolsElement.querySelector(`[data-tool-call-id="${CSS.escape(card.toolCallId)}"]`);
  if (!element) {
    element = document.createElement('div');
    element.className = 'tool-card';
    element.dataset.toolCallId = card.toolCallId;
    bubble.toolsElement.append(element);
  }
  element.dataset.state = card.state;
  element.dataset.phase = card.phase;
  const detail = card.output !== undefined ? ` → ${JSON.stringify(card.output)}` : card.progress !== undefined ? ` … ${JSON.stringify(card.progress)}` : '';
  element.replaceChildren();
  const name = document.createElement('span');
  name.textContent = `tool ${card.toolName} `;
  const phase = document.createElement('span');
  phase.className = 'phase';
  phase.textContent = card.phase;
  element.append(name, phase, document.createTextNode(detail));
}

client.on('tool', ({ card }) => renderToolCard(card));

client.on('frame', ({ sessionId, event }) => {
  if (sessionId !== currentSession) return;
  if (event.type === 'message' && event.role === 'user') addUserMessage(event.messageId, event.text);
  else if (event.type === 'run.start') ensureRunBubble(event.runId, { follow: true });
});

/** A snapshot rebuilds what is missing; bubbles that exist keep streaming from the client's reply. */
function renderSnapshot(snapshot) {
  for (const message of snapshot.messages) {
    if (message.role === 'user') addUserMessage(message.messageId, message.text);
    else if (message.runId && !bubbles.has(message.runId)) {
      const bubble = ensureRunBubble(message.runId, { follow: false });
      bubble.textElement.textContent = message.text;
      bubble.element.dataset.runStatus = 'completed';
    }
  }
  if (snapshot.activeRun) ensureRunBubble(snapshot.activeRun.runId, { follow: true });
}

client.on('snapshot', ({ sessionId, snapshot }) => {
  if (sessionId === currentSession) renderSnapshot(snapshot);
});

async function openSession(sessionId) {
  if (sessionId === currentSession) return;
  if (currentSession) await client.leave(currentSession).catch(() => undefined);
  currentSession = sessionId;
  bubbles.clear();
  userMessages.clear();
  $('#messages').replaceChildren();
  $('#session-title').textContent = sessionId;
  const url = new URL(location.href);
  url.searchParams.set('session', sessionId);
  history.replaceState(null, '', url);
  renderSessions();
  await client.join(sessionId);
}

// ------------------------------------------------------------------ forms

$('#composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('#message');
  const text = input.value.trim();
  if (!text || !currentSession) return;
  input.value = '';
  $('#error').hidden = true;
  try {
    const sent = await client.send(currentSession, text);
    ensureRunBubble(sent.runId, { follow: true });
  } catch (error) {
    showError(error.message);
  }
});

$('#open-session').addEventListener('submit', (event) => {
  event.preventDefault();
  void openSession($('#session-id').value.trim());
});

// ------------------------------------------------------------------ start

try {
  await client.connect();
  await client.listSessions().catch((error) => showError(error.message));
  await openSession(params.get('session') ?? 'demo');
  document.body.dataset.ready = 'true';
} catch (error) {
  showError(error.message);
}
