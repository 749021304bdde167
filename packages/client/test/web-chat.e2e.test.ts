import { mkdirSync, writeFileSync } from 'node:fs';
import type { Socket as NetSocket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent, createGateway, type Agent, type Gateway } from '@agent-gateway/server';
import type { ControlCommand, ControlData } from '@agent-gateway/schema';
import { io as ioClient } from 'socket.io-client';

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = join(here, '../examples/web-chat/public');
const outputDir = join(here, '../test-output');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let browser: Browser | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  await browser?.close();
  await gateway?.close();
  browser = undefined;
  gateway = undefined;
});

/** The demo agent, paused after its fourth chunk until `release`: a cut always lands mid-stream. */
function heldDemoAgent(): { agent: Agent; release: () => void } {
  const demo = createDemoAgent({ chunkDelayMs: 20, toolDelayMs: 40 });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const agent: Agent = {
    name: 'demo-held',
    async *run(turn) {
      let chunks = 0;
      for await (const output of demo.run(turn)) {
        yield output;
        if (output.type === 'chunk' && ++chunks === 4) await held;
      }
    },
  };
  return { agent, release };
}

/** The demo agent, paused forever once its tool call reports progress: the card stays open. */
function toolHeldDemoAgent(): Agent {
  const demo = createDemoAgent({ chunkDelayMs: 5, toolDelayMs: 5 });
  return {
    name: 'demo-tool-held',
    async *run(turn) {
      for await (const output of demo.run(turn)) {
        yield output;
        if (output.type === 'tool' && output.phase === 'update') await new Promise<void>(() => undefined);
      }
    },
  };
}

/** Track a gateway's TCP connections, so a test can drop them the way a killed process does. */
function trackConnections(target: Gateway): Set<NetSocket> {
  const connections = new Set<NetSocket>();
  target.httpServer.on('connection', (connection: NetSocket) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
  });
  return connections;
}

function expectedDemoReply(message: string): string {
  const words = message.split(/\s+/).length;
  return `You said: "${message}". Let me count the words in that. It has ${words} words and ${message.length} characters. This is message 1 of our conversation.`;
}

describe('web chat example in headless Chromium', () => {
  it('streams a reply with tool cards and survives server-side disconnects mid-stream', async () => {
    const { agent, release } = heldDemoAgent();
    gateway = await createGateway({ logger: false, staticDir, agent });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
    });

    await page.goto(`${gateway.url}/?session=browser-e2e`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#connection[data-state="connected"]');

    // A long message makes the demo reply long enough to cut it mid-stream.
    const message = 'The quick brown fox jumps over the lazy dog while the gateway streams this reply word by word';
    await page.fill('#message', message);
    await page.click('#send');

    const bubble = page.locator('li.msg.assistant').first();
    // The session list shows the run as active while it streams.
    await page.waitForSelector('#sessions li[data-session-id="browser-e2e"][data-active="true"]');
    await page.waitForFunction(() => (document.querySelector('li.msg.assistant .text')?.textContent ?? '').length > 12);
    const textAtFirstCut = (await bubble.locator('.text').textContent()) ?? '';
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'web-chat-e2e-midstream.png'), fullPage: true });

    // Cut the connection from the gateway side while the reply streams, twice.
    const cut = () => {
      for (const socket of gateway!.io.sockets.sockets.values()) socket.disconnect(true);
    };
    cut();
    await page.waitForSelector('#resume-indicator:not([hidden])');
    await page.waitForSelector('#connection[data-state="connected"]');
    release();
    // Second cut while the rest of the reply streams (skipped if the machine was fast enough to finish it).
    await page.waitForFunction((before) => (document.querySelector('li.msg.assistant .text')?.textContent ?? '').length > before, textAtFirstCut.length);
    const statusAfterFirstResume = await bubble.getAttribute('data-run-status');
    if (statusAfterFirstResume === 'running') {
      cut();
      await page.waitForFunction(
        () =>
          Number(document.querySelector('#resume-indicator')?.getAttribute('data-resumed') ?? 0) +
            Number(document.querySelector('#resume-indicator')?.getAttribute('data-resynced') ?? 0) >=
          2,
      );
    }

    await page.waitForSelector('li.msg.assistant[data-run-status="completed"]');
    await page.waitForSelector('.tool-card[data-state="done"]');

    const finalText = (await bubble.locator('.text').textContent()) ?? '';
    const expected = expectedDemoReply(message);
    expect(textAtFirstCut.length).toBeLessThan(expected.length);
    expect(finalText).toBe(expected);
    expect(await page.locator('li.msg.assistant').count()).toBe(1);
    expect(await page.locator('li.msg.user').count()).toBe(1);
    const indicator = page.locator('#resume-indicator');
    expect(await indicator.textContent()).toMatch(/^(resumed|resynced)/);
    expect(await page.locator('.tool-card').count()).toBe(1);
    expect(await page.locator('.tool-card').getAttribute('data-phase')).toBe('result');
    expect(await page.locator('#sessions li[data-session-id="browser-e2e"]').getAttribute('data-active')).toBe('false');

    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'web-chat-e2e.png'), fullPage: true });
    const seen = {
      textAtFirstCut,
      finalText,
      indicator: await indicator.textContent(),
      resumed: Number(await indicator.getAttribute('data-resumed')),
      resynced: Number(await indicator.getAttribute('data-resynced')),
      toolCards: await page.locator('.tool-card').allTextContents(),
    };
    writeFileSync(join(outputDir, 'web-chat-e2e.json'), `${JSON.stringify(seen, null, 2)}\n`);
    expect(seen.resumed + seen.resynced).toBeGreaterThanOrEqual(1);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows a resync and still ends with the whole reply when the log moved on while it was offline', async () => {
    const { agent, release } = heldDemoAgent();
    gateway = await createGateway({ logger: false, staticDir, agent, controlToken: 'control-e2e' });
    const control = ioClient(gateway.url, { transports: ['websocket'], auth: { controlToken: 'control-e2e' } });
    const command = async (cmd: ControlCommand): Promise<ControlData> => {
      const result = (await control.timeout(10_000).emitWithAck('control', cmd)) as { ok: boolean; data?: ControlData; error?: { message: string } };
      if (!result.ok || !result.data) throw new Error(`control ${cmd.type} failed: ${result.error?.message}`);
      return result.data;
    };
    try {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${gateway.url}/?session=browser-resync`);
      await page.waitForSelector('body[data-ready="true"]');
      const message = 'Resync me after the gateway forgot where I was';
      await page.fill('#message', message);
      await page.click('#send');
      await page.waitForFunction(() => (document.querySelector('li.msg.assistant .text')?.textContent ?? '').length > 12);
      const firstRunId = (await page.locator('li.msg.assistant').first().getAttribute('data-run-id'))!;
      const firstBubble = page.locator(`li.msg.assistant[data-run-id="${firstRunId}"]`);

      // Offline, and cut: the page cannot come back until we say so.
      await context.setOffline(true);
      for (const socket of gateway.io.sockets.sockets.values()) if (socket.handshake.auth?.controlToken === undefined) socket.disconnect(true);
      await page.waitForSelector('#connection[data-state="reconnecting"]');
      // Meanwhile the run finishes and the log moves past what the page saw.
      const finished = new Promise<void>((resolve) => {
        const onChange = (changed: { sessionId: string; row: { status: string } }) => {
          if (changed.sessionId === 'browser-resync' && changed.row.status === 'completed') resolve();
        };
        control.on('sessions.changed', onChange);
      });
      // Another participant writes while the first reply still streams: in the log this message
      // comes before the first reply's response, which the page must show after the resync.
      const second = 'A second question from another tab';
      const sentSecond = (await control
        .timeout(10_000)
        .emitWithAck('chat.send', { sessionId: 'browser-resync', text: second, idempotencyKey: 'e2e-second' })) as {
        ok: boolean;
        data?: { runId: string };
      };
      expect(sentSecond.ok).toBe(true);
      release();
      await finished;
      const note = { type: 'message' as const, messageId: 'note-1', role: 'system' as const, text: 'maintenance', at: Date.now() };
      const appended = await command({ type: 'session.append', sessionId: 'browser-resync', events: [note, { ...note, messageId: 'note-2' }] });
      await command({ type: 'session.trim', sessionId: 'browser-resync', oldestCursor: appended.lastSeq! });

      await context.setOffline(false);
      await page.waitForSelector('#resume-indicator[data-kind="resync"]');
      await page.waitForSelector(`li.msg.assistant[data-run-id="${firstRunId}"][data-run-status="completed"]`);
      expect(await page.locator('#resume-indicator').textContent()).toBe('resynced browser-resync (since-too-old)');
      expect(await firstBubble.locator('.text').textContent()).toBe(expectedDemoReply(message));
      expect(await page.locator('li.msg.assistant').count()).toBe(2);
      expect(await page.locator('li.msg.user').count()).toBe(2);
      // The conversation is in log (seq) order, as a fresh page would show it, not with what the
      // page missed appended after what it had.
      const rows = await page.locator('#messages > li').evaluateAll((items) =>
        items.map((item) => ({
          role: item.classList.contains('user') ? 'user' : 'assistant',
          seq: Number((item as HTMLElement).dataset.seq),
          runId: (item as HTMLElement).dataset.runId ?? null,
          text: item.classList.contains('user') ? item.textContent : null,
        })),
      );
      expect(rows.map((row) => row.role)).toEqual(['user', 'user', 'assistant', 'assistant']);
      expect(rows.map((row) => row.text ?? row.runId)).toEqual([message, second, firstRunId, sentSecond.data!.runId]);
      const seqs = rows.map((row) => row.seq);
      expect(seqs.every((seq, i) => Number.isInteger(seq) && (i === 0 || seq > seqs[i - 1]!))).toBe(true);
      // The tool call finished while the page was away; its card must not be left running.
      expect(await page.locator('.tool-card[data-state="running"]').count()).toBe(0);
      // The completion broadcast was missed while offline; the list refreshed on reconnect must not say active.
      await page.waitForSelector('#sessions li[data-session-id="browser-resync"][data-active="false"]');
      mkdirSync(outputDir, { recursive: true });
      await page.screenshot({ path: join(outputDir, 'web-chat-e2e-resync.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      control.disconnect();
    }
  }, 60_000);

  it('after a gateway restart mid-run, shows the run interrupted, leaves no card spinning, and chats on with the new gateway', async () => {
    gateway = await createGateway({ logger: false, staticDir, agent: toolHeldDemoAgent() });
    const connections = trackConnections(gateway);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    // Uncaught exceptions only: while the gateway is down, Chromium logs each refused WebSocket.
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${gateway.url}/?session=browser-restart`);
    await page.waitForSelector('body[data-ready="true"]');

    await page.fill('#message', 'Count the words of a message the gateway never finishes answering');
    await page.click('#send');
    await page.waitForSelector('.tool-card[data-state="running"]');
    await page.waitForSelector('#sessions li[data-session-id="browser-restart"][data-active="true"]');
    const runId = (await page.locator('li.msg.assistant').first().getAttribute('data-run-id'))!;
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'web-chat-e2e-before-restart.png'), fullPage: true });

    // kill -9: the connections drop without a goodbye; a new gateway starts on the same port.
    const port = Number(new URL(gateway.url).port);
    for (const connection of connections) connection.destroy();
    await gateway.close();
    gateway = await createGateway({ logger: false, staticDir, agent: createDemoAgent({ chunkDelayMs: 5, toolDelayMs: 5 }), port });

    const bubble = page.locator(`li.msg.assistant[data-run-id="${runId}"]`);
    await page.waitForSelector(`li.msg.assistant[data-run-id="${runId}"][data-run-status="interrupted"]`);
    expect(await bubble.getAttribute('data-interrupt-reason')).toBe('gateway-restarted');
    expect(await bubble.locator('.outcome').textContent()).toBe('interrupted: the gateway restarted');
    expect(await page.locator('.tool-card[data-state="running"]').count()).toBe(0);
    const card = bubble.locator('.tool-card');
    expect(await card.getAttribute('data-state')).toBe('interrupted');
    expect(await card.getAttribute('data-closed-by')).toBe('gateway-restarted');
    // The row comes from the new gateway, which has no run in this session.
    await page.waitForSelector('#sessions li[data-session-id="browser-restart"][data-active="false"]');
    await page.waitForSelector('#resume-indicator[data-kind="resync"]');
    expect(await page.locator('#resume-indicator').textContent()).toBe('resynced browser-restart (epoch-mismatch)');
    await page.screenshot({ path: join(outputDir, 'web-chat-e2e-after-restart.png'), fullPage: true });

    // The page goes on with the new gateway: a new message gets a whole reply and a finished card.
    const message = 'And now a message the new gateway answers';
    await page.fill('#message', message);
    await page.click('#send');
    await page.waitForSelector('li.msg.assistant[data-run-status="completed"]');
    const answered = page.locator('li.msg.assistant[data-run-status="completed"]');
    expect((await answered.locator('.text').textContent())?.startsWith(`You said: "${message}".`)).toBe(true);
    expect(await answered.locator('.tool-card').getAttribute('data-state')).toBe('done');
    // The new log starts its seqs again: the old epoch's messages stay above the new ones.
    const order = await page
      .locator('#messages > li')
      .evaluateAll((items) =>
        items.map((item) => (item.classList.contains('user') ? `user:${item.textContent}` : `assistant:${(item as HTMLElement).dataset.runStatus}`)),
      );
    expect(order).toEqual([
      'user:Count the words of a message the gateway never finishes answering',
      'assistant:interrupted',
      `user:${message}`,
      'assistant:completed',
    ]);
    expect(await page.locator('.tool-card[data-state="running"]').count()).toBe(0);
    expect(await page.locator('#error').isHidden()).toBe(true);
    await page.screenshot({ path: join(outputDir, 'web-chat-e2e-restart.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
