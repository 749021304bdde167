// Compiled against the built dist (import from the package name) to prove the public types ship.
import {
  ClientError,
  createGatewayClient,
  isClientError,
  isSessionRunActive,
  memoryCursorStore,
  type ClientResyncReason,
  type ConnectionState,
  type GatewayClient,
  type ReplyPart,
  type InterruptReason,
  type SentMessage,
  type ToolCard,
  type ToolCardLookup,
} from '@agent-gateway/client';
import type { ChatAbortData, Joined, SessionRow, WireError } from '@agent-gateway/schema';

const client: GatewayClient = createGatewayClient({
  url: 'http://127.0.0.1:1',
  token: 't',
  validateInbound: 'development',
  cursorStore: memoryCursorStore(),
  autoConnect: false,
});

client.on('resync', ({ reason, snapshot }) => {
  const why: ClientResyncReason = reason;
  const cursor: number = snapshot.eventCursor;
  void why;
  void cursor;
});
client.on('connection', ({ state }) => {
  const s: ConnectionState = state;
  void s;
});
client.on('tool', ({ card }) => {
  const c: ToolCard = card;
  const closed: boolean = c.closed;
  void closed;
});
client.on('interrupted', ({ runIds, reason, error }) => {
  const why: InterruptReason = reason;
  const stated: InterruptReason | undefined = error.reason;
  void [runIds.length, why, stated];
});
client.on('sessions', ({ removed }) => void removed.map((sessionId) => sessionId.length));
client.on('gap', ({ invalidFrame }) => void (invalidFrame satisfies boolean));
const tools: ToolCardLookup = client.tools;
void tools.cards('s', 'r').map((card) => card.state satisfies 'running' | 'done' | 'failed' | 'interrupted');
client.on('error', (error) => {
  const wire: WireError | undefined = error.wireError;
  if (isClientError(error, 'REQUEST_FAILED')) void wire;
});

export async function use(): Promise<void> {
  const joined: Joined = await client.join('s');
  const sent: SentMessage = await client.send('s', 'hi');
  for await (const part of sent.reply) {
    const p: ReplyPart = part;
    if (p.type === 'chunk') p.text.toUpperCase();
    else p.status satisfies 'completed' | 'aborted' | 'failed';
  }
  const aborted: ChatAbortData = await client.abort('s', sent.runId);
  const rows: SessionRow[] = await client.listSessions();
  const data = await client.request('sessions.list', { limit: 5 });
  data.sessions satisfies SessionRow[];
  // @ts-expect-error not a request of the protocol
  await client.request('no.such.request', {});
  // @ts-expect-error chat.send needs text and idempotencyKey
  await client.request('chat.send', { sessionId: 's' });
  // @ts-expect-error events are typed
  client.on('resync', (payload: { reason: number }) => payload);
  void joined;
  void aborted;
  void rows.map((row) => isSessionRunActive(row));
  void new ClientError('TIMEOUT', 'x');
  void new ClientError('RUN_INTERRUPTED', 'x', { reason: 'gateway-restarted' });
  // @ts-expect-error error codes are a closed set
  void new ClientError('SOMETHING', 'x');
}
