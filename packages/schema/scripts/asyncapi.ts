/*
 * AsyncAPI 3.0 description of the Socket.IO default namespace, written from the client's point of
 * view: every request is a `send` operation whose acknowledgement is its `reply`, every server event
 * a `receive` operation.
 */
import { Requests, ServerEvents, type SchemaName } from '../src/registry.js';
import { PROTOCOL_VERSION } from '../src/version.js';
import { buildBundle, GENERATED_NOTE, type JsonObject } from './bundle.js';

type Json = JsonObject[string];

/** AsyncAPI schemas are a draft-07 superset where `discriminator` is the property name itself. */
function toAsyncApiSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toAsyncApiSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out[key] = value.replace('#/$defs/', '#/components/schemas/');
    else if (key === 'discriminator' && value && typeof value === 'object' && !Array.isArray(value)) out[key] = value.propertyName ?? null;
    else if (key === 'const' || key === 'enum' || key === 'required') out[key] = value;
    else out[key] = toAsyncApiSchema(value);
  }
  return out;
}

/** Channel and operation ids must be plain identifiers; event names contain dots. */
function idOf(eventName: string): string {
  return eventName.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase());
}

export function buildAsyncApi(): JsonObject {
  const bundle = buildBundle();
  const schemas: JsonObject = {};
  for (const [name, schema] of Object.entries(bundle.$defs)) schemas[name] = toAsyncApiSchema(schema);

  const usedMessages = new Set<SchemaName>(['HandshakeAuth']);
  const messageRef = (name: SchemaName): JsonObject => {
    usedMessages.add(name);
    return { $ref: `#/components/messages/${name}` };
  };
  const channels: JsonObject = {};
  const operations: JsonObject = {};

  channels.connect = {
    address: null,
    title: 'Handshake',
    description:
      'The Socket.IO CONNECT packet to the default namespace `/`. Its `auth` object is HandshakeAuth. The gateway answers with `hello`, or refuses the connection with a `connect_error` whose `data` is a WireError (UNAUTHORIZED, UNSUPPORTED_PROTOCOL_VERSION).',
    messages: { HandshakeAuth: messageRef('HandshakeAuth') },
  };
  operations.connect = {
    action: 'send',
    title: 'Connect',
    summary: 'Open a connection with the handshake auth object.',
    channel: { $ref: '#/channels/connect' },
    messages: [{ $ref: '#/channels/connect/messages/HandshakeAuth' }],
    security: [{ $ref: '#/components/securitySchemes/token' }],
    reply: { channel: { $ref: '#/channels/hello' }, messages: [{ $ref: '#/channels/hello/messages/Hello' }] },
  };

  for (const [event, entry] of Object.entries(Requests)) {
    const id = idOf(event);
    channels[id] = {
      address: event,
      title: event,
      description: `Client request \`${event}\`: emitted with one argument (${entry.params}) and an acknowledgement callback that receives ${entry.result}. ${entry.description}`,
      messages: { [entry.params]: messageRef(entry.params), [entry.result]: messageRef(entry.result) },
    };
    operations[id] = {
      action: 'send',
      title: event,
      summary: entry.description,
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${entry.params}` }],
      reply: { channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/${entry.result}` }] },
    };
  }
  for (const [event, entry] of Object.entries(ServerEvents)) {
    const id = idOf(event);
    channels[id] = {
      address: event,
      title: event,
      description: `Server event \`${event}\` with one argument (${entry.payload}). ${entry.description}`,
      messages: { [entry.payload]: messageRef(entry.payload) },
    };
    const opId = `on${id.charAt(0).toUpperCase()}${id.slice(1)}`;
    operations[opId] = {
      action: 'receive',
      title: event,
      summary: entry.description,
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${entry.payload}` }],
    };
  }

  const messages: JsonObject = {};
  for (const name of [...usedMessages].sort()) {
    const def = bundle.$defs[name];
    const description = typeof def?.description === 'string' ? def.description : undefined;
    messages[name] = {
      name,
      title: name,
      ...(description ? { summary: description } : {}),
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Agent Gateway Protocol',
      version: PROTOCOL_VERSION,
      description: `Socket.IO v4 protocol between AI-agent gateways and their clients, default namespace \`/\`. Each channel is one Socket.IO event name; requests are answered through Socket.IO acknowledgements. Field names are camelCase; every object is closed. ${GENERATED_NOTE}`,
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: '127.0.0.1:8787',
        protocol: 'ws',
        pathname: '/socket.io/',
        title: 'Agent gateway',
        description: 'A gateway serving Socket.IO (engine.io v4, WebSocket or HTTP long-polling) on its default namespace `/`.',
        security: [{ $ref: '#/components/securitySchemes/token' }],
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        token: {
          type: 'apiKey',
          in: 'user',
          description:
            'Socket.IO carries credentials in the CONNECT packet, not in HTTP: the client puts them in the handshake `auth` object (HandshakeAuth.token, and HandshakeAuth.controlToken for the conformance control surface). The closest AsyncAPI scheme is an API key.',
        },
      },
    },
  };
}
