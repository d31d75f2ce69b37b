/**
 * A real headless Chromium for tests, driven over the DevTools protocol (a few commands: evaluate,
 * mouse click, screenshot) with undici's WebSocket — no browser download, no extra package.
 * The binary: CHROMIUM_BIN, else `chromium`, `chromium-browser`, `google-chrome` on PATH
 * (.ci/run installs Debian's `chromium` when none is there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocket } from 'undici';
import { devToolSettings, type Env } from '../../common/node/env';

export function findChromium(env?: Env): string {
  const tools = devToolSettings(env);
  if (tools.chromiumBin) return tools.chromiumBin;
  for (const dir of tools.searchPath) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const p = path.join(dir, name);
      if (fs.existsSync(p)) return p;
    }
  }
  throw new Error('no Chromium found: install Debian `chromium` (.ci/run does) or set CHROMIUM_BIN');
}

export interface BrowserPage {
  /** Evaluates an expression in the page and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** A real mouse click (pressed + released) at the centre of the first element matching `selector`. */
  click(selector: string): Promise<void>;
  screenshot(file: string): Promise<void>;
  /** URLs the page requested (the document itself included). */
  requests: string[];
  close(): Promise<void>;
}

/** Opens `url` in a fresh headless Chromium and waits until `readyExpression` is true. */
export async function openPage(
  url: string,
  opts: { readyExpression?: string; width?: number; height?: number } = {},
): Promise<BrowserPage> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-chromium-'));
  const args = [
    '--headless',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    `--window-size=${opts.width ?? 1200},${opts.height ?? 900}`,
    'about:blank',
  ];
  // Chromium refuses to run as root with its sandbox (containers, CI).
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  const proc: ChildProcess = spawn(findChromium(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const cleanup = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
    // Chromium's helper processes may still be writing the profile for a moment after the browser
    // exits: retry, and leave a temp dir behind rather than fail a test on its clean-up.
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    } catch {
      // a temp dir left behind is harmless
    }
  };
  try {
    const browserWs = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${buf.slice(-500)}`)), 60_000);
      proc.stderr!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => reject(new Error(`chromium exited (${code}): ${buf.slice(-500)}`)));
    });
    const port = new URL(browserWs).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
      type: string;
      webSocketDebuggerUrl: string;
    }>;
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium opened no page');
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('DevTools websocket failed')), { once: true });
    });
    let nextId = 1;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    const requests: string[] = [];
    const events: Array<(method: string, params: Record<string, unknown>) => void> = [];
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
      };
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        if (msg.method === 'Network.requestWillBeSent') requests.push((msg.params!.request as { url: string }).url);
        for (const e of events) e(msg.method, msg.params ?? {});
      }
    });
    const send = <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    await send('Network.enable');
    await send('Page.enable');
    const loaded = new Promise<void>((resolve) => events.push((m) => m === 'Page.loadEventFired' && resolve()));
    await send('Page.navigate', { url });
    await loaded;
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await send<{
        result: { value?: T };
        exceptionDetails?: { text: string; exception?: { description?: string } };
      }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails)
        throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    };
    if (opts.readyExpression) {
      for (let i = 0; !(await evaluate<boolean>(opts.readyExpression)); i++) {
        if (i > 200) throw new Error(`page never became ready (${opts.readyExpression})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return {
      evaluate,
      requests,
      async click(selector) {
        const box = await evaluate<{ x: number; y: number } | null>(
          `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null; e.scrollIntoView({block:'center'}); const r = e.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`,
        );
        if (!box) throw new Error(`no element ${selector}`);
        for (const type of ['mousePressed', 'mouseReleased'])
          await send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
      },
      async screenshot(file) {
        const { data } = await send<{ data: string }>('Page.captureScreenshot', {
          format: 'png',
          captureBeyondViewport: true,
        });
        fs.writeFileSync(file, Buffer.from(data, 'base64'));
      },
      async close() {
        ws.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
