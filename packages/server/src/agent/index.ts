/*
 * Agents: the interface a backend implements, the deterministic demo agent, and the scripted agent
 * the control surface plays.
 */
export { delay, type Agent, type AgentTurn, type AgentOutput, type AgentMessage } from './agent.js';
export { createDemoAgent, type DemoAgentOptions } from './demo-agent.js';
export { createScriptedAgent, Gates } from './scripted-agent.js';
