import { since } from './since.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed } from './common.js';
import { VersionRange } from './errors.js';
import { controlCommandNameSchema } from './control.js';

export const HandshakeAuth = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 4096, description: 'Credential checked by the gateway token verifier.' })),
    controlToken: Type.Optional(Type.String({ maxLength: 4096, description: 'Separate credential for the conformance control surface.' })),
    protocolVersion: Type.Optional(
      Type.String({ pattern: '^[0-9]+\\.[0-9]+$', maxLength: 16, description: 'Protocol version the client speaks, "MAJOR.MINOR".' }),
    ),
  },
  { ...Closed, title: 'HandshakeAuth', description: 'Socket.IO handshake `auth` object.' },
);
export type HandshakeAuth = Static<typeof HandshakeAuth>;

export const Hello = Type.Object(
  {
    protocolVersion: Type.String({ pattern: '^[0-9]+\\.[0-9]+$' }),
    supported: VersionRange,
    gateway: Type.Object(
      {
        name: Type.String({ maxLength: 256 }),
        version: Type.String({ maxLength: 64 }),
        instanceId: Type.Optional(
          Type.String({
            ...since('1.1'),
            minLength: 1,
            maxLength: 128,
            description:
              'Identity of the state this gateway serves. Session-row revisions and run ids are comparable only within one instanceId: an in-memory gateway gets a new one at every start, gateways sharing a durable store share one. A client that sees it change drops what it knew of rows and runs.',
          }),
        ),
      },
      Closed,
    ),
    principal: Type.Optional(Type.String({ maxLength: 256 })),
    limits: Type.Object(
      {
        maxPayloadBytes: Type.Integer({ minimum: 1 }),
        maxFramesPerBatch: Type.Integer({ minimum: 1 }),
        maxEvents: Type.Integer({ minimum: 1 }),
        maxBytes: Type.Integer({ minimum: 1 }),
        maxQueuedRuns: Type.Optional(
          Type.Integer({
            ...since('1.1'),
            minimum: 1,
            description: 'Runs that may wait in one session lane; chat.send past it answers BUSY with details.queueLength.',
          }),
        ),
        maxSnapshotBytes: Type.Optional(
          Type.Integer({ ...since('1.1'), minimum: 1, description: 'JSON size a snapshot stays within (oldest messages and events are left out first).' }),
        ),
        maxPendingBytes: Type.Optional(
          Type.Integer({
            ...since('1.1'),
            minimum: 1,
            description:
              'Bound of the output pending for this connection (queued in the gateway and in its transport buffers), in bytes. Past it non-terminal tool mirrors are withheld; if durable frames would still pass it, the gateway sends protocol.error SLOW_CONSUMER and closes the connection.',
          }),
        ),
        maxSessionsPerPrincipal: Type.Optional(
          Type.Integer({
            ...since('1.1'),
            minimum: 1,
            description: 'Sessions this principal may have created and loaded at once; the next one is LIMIT_EXCEEDED.',
          }),
        ),
        maxConnectionsPerPrincipal: Type.Optional(
          Type.Integer({
            ...since('1.1'),
            minimum: 1,
            description: 'Connections this principal may hold at once; the next handshake is refused with LIMIT_EXCEEDED.',
          }),
        ),
        sessionIdleMs: Type.Optional(
          Type.Integer({
            ...since('1.1'),
            minimum: 1,
            description:
              'A session with no member, no run and no activity for this long is unloaded from memory. With a durable store its log stays; otherwise a later join starts a new epoch.',
          }),
        ),
      },
      Closed,
    ),
    control: Type.Object(
      {
        enabled: Type.Boolean({ description: 'True when this connection may use the control surface.' }),
        commands: Type.Array(controlCommandNameSchema()),
      },
      Closed,
    ),
  },
  {
    ...Closed,
    title: 'Hello',
    description: 'First event after a successful connection: negotiated version, gateway identity, limits and control capabilities.',
  },
);
export type Hello = Static<typeof Hello>;
