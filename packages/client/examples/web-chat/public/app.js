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
/** messageId -> element of the user messages of the current session. */
const userMessages = new Map();
let resumedCount = 0;
let resyncedCount = 0;
/** Epoch of the log the conversation on screen belongs to: seqs order messages only within one. */
let currentEpoch;

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

// The gateway lost the state these runs belonged to (it restarted): they will never end there.
client.on('interrupted', ({ sessionId, runIds, reason }) => {
  if (reason === 'gateway-restarted') showIndicator('restart', `gateway restarted: ${runIds.length} run(s) of ${sessionId} interrupted`);
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

/**
 * Keep #messages ordered by seq, the log order every view of the session shares: a message is keyed
 * by its own seq (snapshot messages carry it, live ones come with their frame), a reply bubble by
 * its response's seq once known and by its run.start's seq while it streams. Elements with no seq
 * yet (a bubble created from the send acknowledgement) stay at the end until their frame arrives.
 * Seqs only compare within one epoch of the log; messages of an earlier epoch stay on top.
 */
function seqKey(element) {
  // Messages of an earlier epoch of the log stay above everything of the current one.
  if (element.dataset.earlierEpoch === 'true') return -Infinity;
  return element.dataset.seq === undefined ? Infinity : Number(element.dataset.seq);
}

function placeBySeq(element, seq) {
  if (seq !== undefined && element.dataset.earlierEpoch !== 'true') element.dataset.seq = String(seq);
  const key = seqKey(element);
  const list = $('#messages');
  const after = [...list.children].find((other) => other !== element && seqKey(other) > key);
  if (after) {
    if (element.nextElementSibling !== after) list.insertBefore(element, after);
  } else if (element.parentElement !== list || list.lastElementChild !== element) {
    list.append(element);
  }
}

function addUserMessage(messageId, text, seq) {
  const existing = userMessages.get(messageId);
  if (existing) {
    placeBySeq(existing, seq);
    return;
  }
  const item = document.createElement('li');
  item.className = 'msg user';
  item.dataset.messageId = messageId;
  item.textContent = text;
  userMessages.set(messageId, item);
  placeBySeq(item, seq);
}

/** One bubble per run; its text comes from the client's reply stream, so it is written exactly once. */
function ensureRunBubble(runId, { follow, seq }) {
  let bubble = bubbles.get(runId);
  if (bubble) {
    if (seq !== undefined) placeBySeq(bubble.element, seq);
    return bubble;
  }
  const element = document.createElement('li');
  element.className = 'msg assistant';
  element.dataset.runId = runId;
  element.dataset.runStatus = 'running';
  const textElement = document.createElement('div');
  textElement.className = 'text';
  const toolsElement = document.createElement('div');
  toolsElement.className = 'tools';
  const outcomeElement = document.createElement('span');
  outcomeElement.className = 'outcome';
  outcomeElement.hidden = true;
  element.append(textElement, toolsElement, outcomeElement);
  placeBySeq(element, seq);
  bubble = { element, textElement, toolsElement, outcomeElement };
  bubbles.set(runId, bubble);
  for (const card of client.tools.cards(currentSession, runId)) renderToolCard(card);
  if (follow) void followReply(currentSession, runId, bubble);
  return bubble;
}

async function followReply(sessionId, runId, bubble) {
  try {
    for await (const part of client.reply(sessionId, runId)) {
      if (part.type === 'chunk') bubble.textElement.textContent += part.text;
      else {
        bubble.element.dataset.runStatus = part.status;
        if (part.error) showError(`${part.error.code}: ${part.error.message}`);
      }
    }
  } catch (error) {
    if (error.code === 'RUN_INTERRUPTED') {
      // The page left the session (nothing to show), or the gateway restarted: the run will never
      // end, so say so instead of leaving the reply streaming.
      if (error.reason === 'session-left') return;
      bubble.element.dataset.runStatus = 'interrupted';
      bubble.element.dataset.interruptReason = error.reason;
      bubble.outcomeElement.hidden = false;
      bubble.outcomeElement.textContent = `interrupted: ${error.reason === 'gateway-restarted' ? 'the gateway restarted' : error.reason}`;
      return;
    }
    // The run is not part of the session (UNKNOWN_RUN), or the client was closed.
    if (error.code !== 'CLOSED') showError(`${error.code ?? 'ERROR'}: ${error.message}`);
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
  if (card.closedBy) element.dataset.closedBy = card.closedBy;
  const detail = card.output !== undefined ? ` → ${JSON.stringify(card.output)}` : card.progress !== undefined ? ` … ${JSON.stringify(card.progress)}` : '';
  element.replaceChildren();
  const name = document.createElement('span');
  name.textContent = `tool ${card.toolName} `;
  const phase = document.createElement('span');
  phase.className = 'phase';
  phase.textContent = card.state === 'interrupted' ? `${card.phase}, interrupted` : card.phase;
  element.append(name, phase, document.createTextNode(detail));
}

client.on('tool', ({ card }) => renderToolCard(card));

client.on('frame', ({ sessionId, seq, event }) => {
  if (sessionId !== currentSession) return;
  if (event.type === 'message' && event.role === 'user') addUserMessage(event.messageId, event.text, seq);
  else if (event.type === 'run.start')
    ensureRunBubble(event.runId, { follow: true, seq: bubbles.get(event.runId)?.element.dataset.responseSeq ? undefined : seq });
  else if (event.type === 'response') {
    // The answer takes the place of its response in the log, as a snapshot would show it.
    const bubble = ensureRunBubble(event.runId, { follow: true, seq });
    bubble.element.dataset.responseSeq = String(seq);
  }
});

/**
 * A snapshot rebuilds what is missing, each message at its seq (not appended after what the page
 * already shows); bubbles that exist keep streaming from the client's reply and only move.
 */
function renderSnapshot(snapshot) {
  for (const message of snapshot.messages) {
    if (message.role === 'user') addUserMessage(message.messageId, message.text, message.seq);
    else if (message.role === 'assistant' && message.runId) {
      const existed = bubbles.has(message.runId);
      const bubble = ensureRunBubble(message.runId, { follow: false, seq: message.seq });
      bubble.element.dataset.responseSeq = String(message.seq);
      if (!existed) {
        bubble.textElement.textContent = message.text;
        bubble.element.dataset.runStatus = 'completed';
      }
    }
  }
  const active = snapshot.activeRun;
  if (active) {
    // Streaming: at its run.start when retained, else right after the message that queued it.
    const start = snapshot.events.find(({ event }) => event.type === 'run.start' && event.runId === active.runId);
    const asked = snapshot.messages.find((message) => message.runId === active.runId && message.role === 'user');
    ensureRunBubble(active.runId, { follow: true, seq: start?.seq ?? (asked ? asked.seq + 0.5 : undefined) });
  }
}

client.on('snapshot', ({ sessionId, snapshot }) => {
  if (sessionId !== currentSession) return;
  if (currentEpoch !== undefined && snapshot.epoch !== currentEpoch) {
    // A new epoch (the gateway restarted): seqs start again, so what the page shows of the old one
    // keeps its place above the new log instead of being sorted into it.
    for (const element of $('#messages').children) element.dataset.earlierEpoch = 'true';
  }
  currentEpoch = snapshot.epoch;
  renderSnapshot(snapshot);
});

client.on('joined', ({ sessionId, epoch }) => {
  if (sessionId === currentSession) currentEpoch ??= epoch;
});

async function openSession(sessionId) {
  if (sessionId === currentSession) return;
  if (currentSession) await client.leave(currentSession).catch(() => undefined);
  currentSession = sessionId;
  bubbles.clear();
  currentEpoch = undefined;
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
