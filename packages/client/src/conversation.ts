import type { Role, SessionEvent, Snapshot } from '@agent-gateway/schema';

export interface ConversationMessage {
  messageId: string;
  role: Role;
  text: string;
  runId?: string;
  at: number;
}

/**
 * The messages of one session as the client knows them: user messages and final responses from the
 * log, replaced wholesale by a snapshot. Keyed by messageId so a message seen twice (replayed
 * response after a snapshot that already held it) appears once.
 */
export class Conversation {
  private readonly messages = new Map<string, ConversationMessage>();

  apply(event: SessionEvent): ConversationMessage | undefined {
    let message: ConversationMessage | undefined;
    if (event.type === 'message') {
      message = { messageId: event.messageId, role: event.role, text: event.text, at: event.at };
      if (event.runId !== undefined) message.runId = event.runId;
    } else if (event.type === 'response') {
      message = { messageId: event.messageId, role: 'assistant', text: event.text, runId: event.runId, at: event.at };
    }
    if (!message || this.messages.has(message.messageId)) return undefined;
    this.messages.set(message.messageId, message);
    return message;
  }

  reset(snapshot: Snapshot): void {
    this.messages.clear();
    for (const m of snapshot.messages) {
      const message: ConversationMessage = { messageId: m.messageId, role: m.role, text: m.text, at: m.at };
      if (m.runId !== undefined) message.runId = m.runId;
      this.messages.set(m.messageId, message);
    }
  }

  list(): ConversationMessage[] {
    return [...this.messages.values()];
  }
}
