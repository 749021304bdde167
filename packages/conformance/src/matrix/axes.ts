import { ControlCommandNames, REQUEST_NAMES, SERVER_EVENT_NAMES, type ControlCommandName, type RequestName, type ServerEventName } from '@agent-gateway/schema';

/**
 * The two axes of the coverage matrix. Rows are every message of the protocol registry (requests
 * and server events) and every control command; columns are the states a message can meet. Both
 * come from the schema, so a message added to the registry is a new row the coverage test demands
 * a check (or a written reason) for.
 */
export type MatrixRow = `request:${RequestName}` | `event:${ServerEventName}` | `control:${ControlCommandName}`;

export const MATRIX_ROWS: readonly MatrixRow[] = [
  ...REQUEST_NAMES.map((name) => `request:${name}` as const),
  ...SERVER_EVENT_NAMES.map((name) => `event:${name}` as const),
  ...ControlCommandNames.map((name) => `control:${name}` as const),
];

/** The dimensions of state, each with its values. */
export const STATE_DIMENSIONS = {
  session: ['fresh', 'existing', 'recreated'],
  run: ['queued', 'running', 'finished', 'unknown', 'other-session'],
  conn: ['plain', 'run-scoped', 'mirror', 'slow'],
  auth: ['authenticated', 'wrong', 'missing', 'control-only'],
  log: ['empty', 'trimmed', 'compacted'],
} as const;

type Dimension = keyof typeof STATE_DIMENSIONS;
type StateOf<D extends Dimension> = `${D}:${(typeof STATE_DIMENSIONS)[D][number]}`;
export type MatrixState = { [D in Dimension]: StateOf<D> }[Dimension];

export const MATRIX_STATES: readonly MatrixState[] = (Object.keys(STATE_DIMENSIONS) as Dimension[]).flatMap((d) =>
  STATE_DIMENSIONS[d].map((v) => `${d}:${v}` as MatrixState),
);

/** What each column means, for the report legend. */
export const STATE_MEANING: Record<MatrixState, string> = {
  'session:fresh': 'a session id never used before',
  'session:existing': 'a session with events in its log',
  'session:recreated': 'a session whose log was recreated under a new epoch',
  'run:queued': 'a run waiting in the session lane',
  'run:running': 'a run executing',
  'run:finished': 'a run that reached a terminal state',
  'run:unknown': 'a run id the gateway never issued',
  'run:other-session': 'a run id of another session',
  'conn:plain': 'an ordinary connection, not run-scoped',
  'conn:run-scoped': 'the connection that started the run or subscribed to it',
  'conn:mirror': 'a joined connection that receives session.tool mirrors',
  'conn:slow': 'a connection that stopped reading its socket',
  'auth:authenticated': "the suite's own credentials",
  'auth:wrong': 'a wrong token in the handshake (for control rows: a wrong control token)',
  'auth:missing': 'no token in the handshake (for control rows: no control token)',
  'auth:control-only': 'only the control token in the handshake',
  'log:empty': 'a log without events',
  'log:trimmed': 'a log whose oldest events were evicted (oldestCursor > 1)',
  'log:compacted': 'a log whose non-durable events were compacted',
};

export function isMatrixRow(value: string): value is MatrixRow {
  return (MATRIX_ROWS as readonly string[]).includes(value);
}

export function dimensionOf(state: MatrixState): Dimension {
  return state.slice(0, state.indexOf(':')) as Dimension;
}

export type { Dimension as StateDimension };

/** A row, or every row of one kind. */
export type RowPattern = MatrixRow | 'request:*' | 'event:*' | 'control:*';
/** A state, or every state of one dimension. */
export type StatePattern = MatrixState | `${Dimension}:*`;
