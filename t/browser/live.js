// Live updates in a real browser, in headless Chromium: a reader's page
// of a post follows its view counter and its comments through the theme's
// live.js (EventSource to nginx's /events/, proxied to the jobrunner's
// hub), while a second tab views the post and, signed in, comments on it.
// Run by t/52-browser.t, which starts nginx and the jobrunner:
//
//   BASE=http://127.0.0.1:PORT SLUG=... USER=... PASS=... SHOT=file.png PROFILE=dir
//
// Prints "ok: STEP" lines, or "error: WHY" and exits 1.

'use strict';

const { chromium } = require('playwright-core');

const base = process.env.BASE;
const post = base + '/posts/' + process.env.SLUG;
const timeout = 20000;

async function main() {
    const context = await chromium.launchPersistentContext(process.env.PROFILE, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
        viewport: { width: 1100, height: 900 },
        // a reader's browser: analytics count HeadlessChrome as a bot
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '
                   + '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    });

    try {
        const reader = context.pages()[0] || await context.newPage();
        reader.setDefaultTimeout(timeout);

        await reader.goto(post);
        const before = Number(await reader.textContent('#views'));
        console.log('ok: the page shows ' + before + ' views');

        // the view of another tab is counted and pushed to this one; it
        // is another reader's (a reader's own reloads within 30 minutes
        // are one view), so it sends another browser's agent
        const other = await context.newPage();
        other.setDefaultTimeout(timeout);
        const cdp = await context.newCDPSession(other);
        await cdp.send('Network.setUserAgentOverride', {
            userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) '
                       + 'Gecko/20100101 Firefox/120.0',
        });
        await other.goto(post);
        await reader.waitForFunction(
            (n) => Number(document.getElementById('views').textContent) > n,
            before);
        console.log('ok: live counter: '
                    + await reader.textContent('#views'));

        // signed in, a comment is published at once, and pushed
        await other.goto(base + '/admin/login');
        await other.fill('input[name="name"]', process.env.USER);
        await other.fill('input[name="password"]', process.env.PASS);
        await Promise.all([other.waitForURL(base + '/admin/'),
                           other.click('button[type="submit"]')]);
        await other.goto(post);
        await other.fill('#comment-form input[name="name"]', 'Live author');
        await other.fill('#comment-form textarea[name="body"]',
                         'Pushed **without a reload**.');
        await Promise.all([other.waitForURL(/#comment-\d+$/),
                           other.click('#comment-form button[type="submit"]')]);

        await reader.waitForSelector('article.comment.live strong');
        console.log('ok: live comment: '
                    + await reader.textContent('article.comment.live .body strong'));
        if (await reader.$('#comments p.empty')) {
            throw new Error('"No comments yet" is still shown');
        }

        await reader.screenshot({ path: process.env.SHOT, fullPage: true });
        console.log('ok: screenshot');
    } finally {
        await context.close();
    }
}

main().then(() => process.exit(0), (err) => {
    console.log('error: ' + (err && err.message ? err.message.split('\n')[0] : err));
    process.exit(1);
});
