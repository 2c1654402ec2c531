// A person's path through the admin panel, in headless Chromium: sign in,
// write a post (with the live preview), publish it, see it on the site,
// and take a screenshot.  Run by t/52-browser.t, which starts nginx:
//
//   BASE=http://127.0.0.1:PORT USER=... PASS=... SHOT=file.png PROFILE=dir
//
// Prints "ok: STEP" lines, or "error: WHY" and exits 1.

'use strict';

const { chromium } = require('playwright-core');

const base = process.env.BASE;
const timeout = 15000;

async function main() {
    const context = await chromium.launchPersistentContext(process.env.PROFILE, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
        viewport: { width: 1100, height: 900 },
    });

    try {
        const page = context.pages()[0] || await context.newPage();
        page.setDefaultTimeout(timeout);

        await page.goto(base + '/admin/');
        if (!page.url().endsWith('/admin/login')) {
            throw new Error('not sent to the sign-in form: ' + page.url());
        }
        console.log('ok: the panel sends a stranger to sign in');

        await page.fill('input[name="name"]', process.env.USER);
        await page.fill('input[name="password"]', process.env.PASS);
        await Promise.all([page.waitForURL(base + '/admin/'),
                           page.click('button[type="submit"]')]);
        await page.waitForSelector('text=Sign out');
        console.log('ok: signed in');

        await Promise.all([page.waitForURL(/\/admin\/posts\/new$/),
                           page.click('a.button')]);
        await page.fill('input[name="title"]', 'Written in a browser');
        await page.fill('input[name="tags"]', 'browser, test');
        await page.fill('textarea[name="body"]',
                        'This post was **written in Chromium**.\n\n- one\n- two\n');

        // the editor's script renders the preview in place
        await page.click('button[value="preview"]');
        await page.waitForSelector('#preview strong');
        if (!page.url().endsWith('/admin/posts/new')) {
            throw new Error('the preview reloaded the page');
        }
        console.log('ok: live preview: ' + await page.textContent('#preview strong'));

        await page.selectOption('select[name="status"]', 'published');
        await Promise.all([page.waitForURL(/\/admin\/posts\/\d+\?done=created$/),
                           page.click('button[value="save"]')]);
        await page.waitForSelector('p.notice');
        console.log('ok: published: ' + await page.textContent('p.notice'));

        await Promise.all([page.waitForURL(base + '/posts/written-in-a-browser'),
                           page.click('text=View on the site')]);
        const title = await page.textContent('article.post h1');
        if (title !== 'Written in a browser') {
            throw new Error('the post page shows "' + title + '"');
        }
        console.log('ok: on the site: ' + title);

        await page.screenshot({ path: process.env.SHOT, fullPage: true });
        console.log('ok: screenshot');
    } finally {
        await context.close();
    }
}

main().then(() => process.exit(0), (err) => {
    console.log('error: ' + (err && err.message ? err.message.split('\n')[0] : err));
    process.exit(1);
});
