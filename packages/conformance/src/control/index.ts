/**
 * `@agent-gateway/conformance/control`: the conformance control surface for a gateway written in
 * Node on Socket.IO. It depends on the schema only, never on the suite.
 */
export {
  createControlSurface,
  ControlError,
  type ControlSurface,
  type ControlSurfaceOptions,
  type ControlSocket,
  type ControlHandlers,
  type ControlHandler,
  type ControlAnswer,
  type ControlCommandOf,
} from './surface.js';
