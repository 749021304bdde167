// Compiled against the built dist through the package's `./control` export, as a gateway would.
import { ControlError, createControlSurface, type ControlSocket } from '@agent-gateway/conformance/control';

declare const socket: ControlSocket;

const control = createControlSurface<ControlSocket>({
  token: 'secret',
  handlers: {
    'session.trim': (command) => {
      // The command is typed by its name: oldestCursor exists on session.trim only.
      const oldest: number = command.oldestCursor;
      if (oldest < 1) throw new ControlError('INVALID_MESSAGE', 'no such position');
      return { sessionId: command.sessionId, oldestCursor: oldest };
    },
    'pressure.set': async (command) => ({ backoffActive: command.simulated }),
  },
});

control.attach(socket);
const enabled: boolean = control.hello(socket).enabled;
export { enabled };
