// Drives WaaV's dashboard (clients_sdk/dashboard) in Debian's chromium,
// headless, against waav (make run) with its providers at the mock.
// Started by scripts/dashboard-test.sh, which sets:
//   WAAV_PW_DIR     where playwright-core is installed (npm ci of this dir)
//   CHROMIUM        the browser binary
//   DASHBOARD_URLS  "label=url label=url": each is one run of every step
//   GATEWAY         waav's http://host:port
//   MOCK            the mock's http://host:port
//   PROVIDER_KEY    sent as the TTS panel's "Provider API Key"
//   AB              "providerA,providerB" for the A/B comparison
//   SHOTS           the screenshot path prefix (build/dashboard)
//
// Every step is run (a failure does not stop the next, when it can run at
// all) and printed as ok/FAIL with what was seen; the exit status is 1 when
// one failed.  A console error, a page error, a failed request or an answer
// >= 400 anywhere fails the run, except what WaaV itself answers and the
// dashboard tolerates: GET /dag/templates 501 (WaaV's default build).
import { createRequire } from 'node:module';

const require = createRequire(process.env.WAAV_PW_DIR + '/');
const { chromium } = require('playwright-core');

const env = (k) => {
    if (!process.env[k]) throw new Error(`${k} is not set`);
    return process.env[k];
};
const gateway = env('GATEWAY');
const mock = env('MOCK');
const [provA, provB] = env('AB').split(',');
const wait = 15000;

// what WaaV answers too, and the dashboard tolerates (it only logs)
const expected = [{ method: 'GET', path: '/dag/templates', status: 501 }];
const isExpected = (method, url, status) => {
    const path = new URL(url).pathname;
    return expected.some((e) => e.method === method && e.path === path
                         && e.status === status);
};
// at load, before the test sets the gateway's URL, the dashboard asks
// /dag/templates of its default gateway, ws://<page's host>:3001/ws: not
// waav when waav is on another port (WAAV_DASHBOARD_PORT)
const notGateway = (url) => {
    const u = new URL(url);
    return new URL(gateway).port !== '3001' && u.port === '3001'
        && u.pathname === '/dag/templates';
};

// voices the mock accepts, put in an A/B picker only when listing them
// failed (that step fails all the same), so that the steps after it still
// say what they find
const fallbackVoices = {
    deepgram: ['aura-2-thalia-en', 'aura-2-luna-en'],
    elevenlabs: ['21m00Tcm4TlvDq8ikWAM', 'EXAVITQu4vr4xnSDxMaL'],
    cartesia: ['a0e99841-438c-4a64-b679-ae501e7d6091',
               '694f9389-aac1-45b6-b726-9d9369183238'],
};

let failures = 0;

async function step(name, fn) {
    try {
        const detail = await fn();
        console.log(`  ok    ${name}${detail ? ` (${detail})` : ''}`);
        return true;
    } catch (e) {
        failures++;
        console.log(`  FAIL  ${name}: ${String(e.message).split('\n')[0]}`);
        return false;
    }
}

function check(cond, msg) {
    if (!cond) throw new Error(msg);
}

// the answer to the first request matching pred that `action` causes, or
// the failure of that request (CORS, connection refused)
async function request(page, pred, action) {
    const seen = new Promise((resolve) => {
        const onResp = (r) => pred(r.request()) && done({ resp: r });
        const onFail = (q) => pred(q) && done({ failed: q.failure()?.errorText });
        const timer = setTimeout(() => done({ failed: 'no request within 15 s' }), wait);
        function done(v) {
            clearTimeout(timer);
            page.off('response', onResp);
            page.off('requestfailed', onFail);
            resolve(v);
        }
        page.on('response', onResp);
        page.on('requestfailed', onFail);
    });
    await action();
    return seen;
}

async function answered(page, pred, action, what) {
    const r = await request(page, pred, action);
    check(!r.failed, `${what}: request failed: ${r.failed}`);
    const status = r.resp.status();
    let body = '';
    if (status >= 400) body = (await r.resp.text().catch(() => '')).slice(0, 200);
    check(status === 200, `${what} -> ${status} ${body}`);
    return r.resp;
}

const isPath = (method, path, query) => (q) => {
    const u = new URL(q.url());
    return q.method() === method && u.pathname === path
        && (query === undefined || u.search === query);
};

async function mockRecords() {
    const r = await fetch(`${mock}/__mock/requests`);
    return r.json();
}

// one side's audio element: loaded (its metadata decoded) and played
function audioState({ side, play }) {
    return new Promise((resolve) => {
        const a = document.getElementById(`compare-audio-${side}`);
        const err = () => resolve({
            ok: false,
            msg: `MediaError ${a.error?.code}: ${a.error?.message || 'no message'}`,
        });
        const timer = setTimeout(() => resolve({ ok: false, msg: 'timed out' }), 10000);
        const good = () => { clearTimeout(timer); resolve({ ok: true, duration: a.duration }); };
        if (a.error) return err();
        a.addEventListener('error', () => { clearTimeout(timer); err(); }, { once: true });
        if (play) {
            a.addEventListener('playing', good, { once: true });
            // the dashboard's own play button (its container stays hidden:
            // the dashboard never shows .compare-audio-player), clicked
            // through the DOM as a user's click would run its listener
            document.getElementById(`compare-play-${side}`).click();
        } else if (a.readyState >= 1) {
            good();
        } else {
            a.addEventListener('loadedmetadata', good, { once: true });
        }
    });
}

async function run(browser, label, url) {
    console.log(`dashboard-test: ${label}: ${url}`);
    await fetch(`${mock}/__mock/reset`, { method: 'POST' });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const loc = m.location()?.url || '';
        const st = /status of (\d+)/.exec(m.text());
        if (st && loc && isExpected('GET', loc, Number(st[1]))) return;
        if (loc && notGateway(loc)) return;
        problems.push(`console error: ${m.text()}${loc ? ` [${loc}]` : ''}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (q) => {
        if (notGateway(q.url())) return;
        problems.push(`request failed: ${q.method()} ${q.url()}: ${q.failure()?.errorText}`);
    });
    page.on('response', (r) => {
        const q = r.request();
        if (r.status() >= 400 && !isExpected(q.method(), r.url(), r.status())) {
            problems.push(`answer ${r.status()}: ${q.method()} ${r.url()}`);
        }
    });
    const gw = new URL(gateway);
    const voices = {};

    await step('loads (its scripts run: the gateway URL field is filled)', async () => {
        const resp = await page.goto(url, { waitUntil: 'load' });
        check(resp && resp.status() === 200, `GET ${url} -> ${resp?.status()}`);
        await page.waitForFunction(
            () => document.getElementById('server-url')?.value !== '', null, { timeout: wait });
        await page.waitForLoadState('networkidle');
        return `${problems.length} problem(s) so far`;
    });

    await step('connects to /ws; its config (sent at open) is answered "ready"', async () => {
        await page.fill('#server-url', `ws://${gw.host}/ws`);
        const first = new Promise((resolve) => {
            const timer = setTimeout(() => resolve('no frame from waav in 15 s'), wait);
            page.once('websocket', (ws) => ws.on('framereceived', (f) => {
                clearTimeout(timer);
                resolve(String(f.payload));
            }));
        });
        await page.click('#connect-btn');
        await page.waitForFunction(
            () => document.getElementById('conn-indicator')?.dataset.status === 'connected',
            null, { timeout: wait });
        const frame = await first;
        let type;
        try { type = JSON.parse(frame).type; } catch { type = undefined; }
        check(type === 'ready', `first message: ${frame.slice(0, 300)}`);
        return frame.slice(0, 120);
    });

    await step('TTS panel lists deepgram voices (GET /voices?provider=deepgram, X-Provider-Api-Key)', async () => {
        await page.click('.nav-link[data-tab="tts"]');
        await page.selectOption('#tts-provider', 'deepgram');
        await page.fill('#tts-api-key', env('PROVIDER_KEY'));
        const resp = await answered(page, isPath('GET', '/voices', '?provider=deepgram'),
                                    () => page.click('#tts-load-voices'),
                                    'GET /voices?provider=deepgram');
        const n = await page.locator('#tts-voice option').count();
        check(n > 1, `the voice picker has ${n - 1} voice(s)`);
        const cards = await page.locator('#tts-voice-grid .voice-card').count();
        return `${n - 1} voices, ${cards} cards; ${resp.headers()['content-type']}`;
    });

    for (const [side, prov] of [['a', provA], ['b', provB]]) {
        const listed = await step(`A/B side ${side.toUpperCase()} lists ${prov} voices (GET /voices?provider=${prov})`, async () => {
            await page.click('.nav-link[data-tab="compare"]');
            await answered(page, isPath('GET', '/voices', `?provider=${prov}`),
                           () => page.selectOption(`#compare-provider-${side}`, prov),
                           `GET /voices?provider=${prov}`);
            const sel = `#compare-voice-${side}-select`;
            await page.waitForFunction((s) => document.querySelector(s).options.length > 1,
                                       sel, { timeout: wait });
            const opts = await page.$$eval(`${sel} option`,
                                           (os) => os.map((o) => o.value).filter(Boolean));
            // side B takes another voice than A when both are one provider's
            const pick = opts.find((v) => v !== voices.a) || opts[0];
            await page.selectOption(sel, pick);
            voices[side] = pick;
            return `${opts.length} voices, picked ${pick}`;
        });
        if (!listed && fallbackVoices[prov]) {
            const pick = fallbackVoices[prov].find((v) => v !== voices.a);
            await page.$eval(`#compare-voice-${side}-select`, (sel, v) => {
                sel.add(new Option(v, v));
                sel.value = v;
            }, pick);
            voices[side] = pick;
            console.log(`        (the steps below use ${pick}, put in the picker by the test)`);
        }
    }

    const text = await page.inputValue('#compare-text').catch(() => '');
    await step('A/B "Generate Both": two POST /speak answered 200 with audio', async () => {
        check(voices.a && voices.b, 'no voice picked on both sides');
        const speak = isPath('POST', '/speak');
        const both = new Promise((resolve) => {
            const got = [];
            const onResp = (r) => {
                if (!speak(r.request())) return;
                got.push(r);
                if (got.length === 2) { page.off('response', onResp); resolve(got); }
            };
            page.on('response', onResp);
            setTimeout(() => { page.off('response', onResp); resolve(got); }, wait);
        });
        await page.click('#compare-both');
        const got = await both;
        check(got.length === 2, `${got.length} /speak answer(s) seen`);
        const st = [];
        for (const r of got) {
            const body = r.status() === 200 ? '' : ` ${(await r.text()).slice(0, 200)}`;
            st.push(`${r.status()} ${r.headers()['content-type']}${body}`);
        }
        check(got.every((r) => r.status() === 200), st.join('; '));
        for (const side of ['a', 'b']) {
            await page.waitForFunction(
                (s) => document.getElementById(`compare-audio-${s}`).src.startsWith('blob:'),
                side, { timeout: wait });
        }
        const sizes = await page.evaluate(() => Promise.all(['a', 'b'].map(
            (s) => fetch(document.getElementById(`compare-audio-${s}`).src)
                .then((r) => r.blob()).then((b) => b.size))));
        check(sizes.every((n) => n > 0), `audio sizes ${sizes}`);
        return `${st.join('; ')}; ${sizes.join(' and ')} bytes`;
    });

    await step('the mock got both syntheses, with the text and the voices picked', async () => {
        const recs = (await mockRecords()).filter((r) => r.method === 'POST');
        const find = (prov, voice) => recs.find((r) => r.provider === prov
            && [r.path, r.query, r.body].some((x) => (x || '').includes(voice))
            && (r.body || '').includes(text.slice(0, 20)));
        const missing = [['a', provA], ['b', provB]]
            .filter(([s, p]) => !find(p, voices[s]))
            .map(([s, p]) => `${p} ${voices[s]}`);
        check(text && missing.length === 0,
              `no request for ${missing.join(', ')} among ${recs.map((r) => r.path).join(' ')}`);
        return recs.map((r) => `${r.path}${r.query ? `?${r.query}` : ''}`).join(', ');
    });

    for (const side of ['a', 'b']) {
        await step(`A/B side ${side.toUpperCase()}: the audio element decodes its clip`, async () => {
            const s = await page.evaluate(audioState, { side, play: false });
            check(s.ok, s.msg);
            return `duration ${s.duration} s`;
        });
        await step(`A/B side ${side.toUpperCase()}: the play button plays it`, async () => {
            const s = await page.evaluate(audioState, { side, play: true });
            check(s.ok, s.msg);
        });
    }

    const shot = `${env('SHOTS')}${label === 'same-origin' ? '' : `-${label}`}.png`;
    await page.screenshot({ path: shot });
    console.log(`  screenshot: ${shot}`);

    await step('no console error, page error, failed request or error answer', async () => {
        check(problems.length === 0, `${problems.length}:\n${problems.join('\n')}`);
    });
    if (problems.length) for (const p of problems) console.log(`        ${p}`);
    await context.close();
}

const browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required',
           '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
});
try {
    for (const lu of env('DASHBOARD_URLS').split(' ')) {
        const i = lu.indexOf('=');
        await run(browser, lu.slice(0, i), lu.slice(i + 1));
    }
} finally {
    await browser.close();
}
console.log(`dashboard-test: ${failures ? `${failures} step(s) failed` : 'every step passed'}`);
process.exit(failures ? 1 : 0);
