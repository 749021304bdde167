import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoAgent, createGateway, type Agent, type Gateway } from '@agent-gateway/server';

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = join(here, '../examples/web-chat/public');
const outputDir = join(here, '../test-output');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser: Browser | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  await browser?.close();
  await gateway?.close();
  browser = undefined;
  gateway = undefined;
});

describe('web chat example in headless Chromium', () => {
  it('streams a reply with tool cards and survives server-side disconnects mid-stream', async () => {
    // The demo agent, paused after its fourth chunk until the first cut is done: the cut always
    // lands mid-stream however slow the machine is.
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
      await page.waitForFunction(() => Number(document.querySelector('#resume-indicator')?.getAttribute('data-resumed') ?? 0) + Number(document.querySelector('#resume-indicator')?.getAttribute('data-resynced') ?? 0) >= 2);
    }

    await page.waitForSelector('li.msg.assistant[data-run-status="completed"]');
    await page.waitForSelector('.tool-card[data-state="done"]');

    const finalText = (await bubble.locator('.text').textContent()) ?? '';
    const words = message.split(/\s+/).length;
    const expected = `You said: "${message}". Let me count the words in that. It has ${words} words and ${message.length} characters. This is message 1 of our conversation.`;
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
});
