// Every page of the site and of the admin panel in headless Chromium, at a
// desktop and a phone width: axe-core's findings, the page's HTML as the
// server sent it (for the Nu checker, which t/55-a11y.t runs once over all
// of them), a screenshot, and on the panel's pages the page's width.
// Run by t/55-a11y.t, which starts nginx:
//
//   BASE=http://127.0.0.1:PORT USER=... PASS=... PROFILE=dir OUT=dir
//   PUBLIC="name=/path ..." ADMIN="name=/admin/path ..."
//
// A path "/path!field=value&field=value" is a form's answer: the page at
// /path is opened, the form holding the first field is filled in (values
// URL-encoded) and sent as a reader would, and the page that comes back
// is the one checked (so a POST's pages, errors included, are swept too).
// The form is sent with form.submit(), past the browser's own checks, so
// that the server's answer to a bad value is seen.  A value "file:TEXT"
// is a file chosen for that field: TEXT, as "upload.csv".
//
// Writes OUT/NAME-WIDTH.html and OUT/NAME-WIDTH.png (and NAME-390-menu.png
// with the panel's menu open), and prints one line
// per page and width:
//   page: NAME WIDTH status=N axe=N overflow=SCROLLWIDTH/INNERWIDTH h1=N
// and on the panel's pages, the height of its bar, how many of its links
// show, and how many once "Menu" is opened (and the page's width then):
//   ... bar=PX menu=SHOWN/ALL opened=SHOWN/ALL|- overflow-opened=PX
// then a line per serious or critical axe finding:
//   axe: NAME WIDTH IMPACT RULE TARGET
// and "error: WHY" (exit 1) when the run itself fails.

'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const base = process.env.BASE;
const out = process.env.OUT;
const widths = [1280, 390];
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

function pages(list) {
    return (list || '').split(/\s+/).filter(Boolean).map((item) => {
        const eq = item.indexOf('=');
        return { name: item.slice(0, eq), path: item.slice(eq + 1) };
    });
}

// The panel's links that show, whole, on the screen, of all of them.
async function menuLinks(page) {
    return page.evaluate(() => {
        const links = Array.from(document.querySelectorAll('.bar nav a'));
        const shown = links.filter((a) => {
            // a closed <details> keeps its content laid out, but hidden
            const r = a.getBoundingClientRect();
            return a.checkVisibility() && r.width > 0 && r.left >= 0
                && r.right <= window.innerWidth;
        });
        return shown.length + '/' + links.length;
    });
}

async function barHeight(page) {
    return page.evaluate(() =>
        Math.round(document.querySelector('header.bar').getBoundingClientRect().height));
}

// axe runs in the page through the DevTools protocol, which the panel's
// Content-Security-Policy does not govern, so the page is checked as sent.
async function open(page, url) {
    const bang = url.indexOf('!');
    if (bang < 0) {
        return page.goto(base + url);
    }
    await page.goto(base + url.slice(0, bang));
    const all = Array.from(new URLSearchParams(url.slice(bang + 1)));
    for (const [n, v] of all.filter(([, v]) => v.startsWith('file:'))) {
        await page.setInputFiles('[name="' + n + '"]', {
            name: 'upload.csv', mimeType: 'text/csv', buffer: Buffer.from(v.slice(5)),
        });
    }
    const fields = all.filter(([, v]) => !v.startsWith('file:'));
    const [response] = await Promise.all([
        page.waitForNavigation(),
        page.evaluate(([first, fields]) => {
            const form = document.querySelector('[name="' + first + '"]').form;
            for (const [n, v] of fields) {
                form.elements[n].value = v;
            }
            form.submit();
        }, [all[0][0], fields]),
    ]);
    return response;
}

async function check(page, name, url, width, admin) {
    await page.setViewportSize({ width, height: 900 });
    const response = await open(page, url);
    const html = response ? await response.text() : '';
    const file = path.join(out, name + '-' + width);
    fs.writeFileSync(file + '.html', html);

    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
        window.axe.run(document, { resultTypes: ['violations'] }));
    const found = [];
    for (const v of result.violations) {
        if (v.impact !== 'serious' && v.impact !== 'critical') {
            continue;
        }
        for (const node of v.nodes) {
            found.push(['axe:', name, width, v.impact, v.id,
                        node.target.join(' ')].join(' '));
        }
    }
    const size = await page.evaluate(() =>
        [document.documentElement.scrollWidth, window.innerWidth,
         document.querySelectorAll('h1').length]);
    await page.screenshot({ path: file + '.png', fullPage: true });

    let menu = '';
    if (admin) {
        menu = ' bar=' + await barHeight(page) + ' menu=' + await menuLinks(page);
        // on a phone the menu opens from the keyboard, and stays in the page
        const summary = page.locator('.bar .menu summary');
        if (await summary.isVisible()) {
            await summary.focus();
            await page.keyboard.press('Enter');
            menu += ' opened=' + await menuLinks(page) + ' overflow-opened='
                + await page.evaluate(() => document.documentElement.scrollWidth);
            await page.screenshot({ path: file + '-menu.png' });
        } else {
            menu += ' opened=-';
        }
    }

    console.log('page: ' + name + ' ' + width + ' status=' + (response ? response.status() : 0)
                + ' axe=' + found.length + ' overflow=' + size[0] + '/' + size[1]
                + ' h1=' + size[2] + menu);
    for (const line of found) {
        console.log(line);
    }
}

async function main() {
    const context = await chromium.launchPersistentContext(process.env.PROFILE, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
        viewport: { width: widths[0], height: 900 },
    });

    try {
        const page = context.pages()[0] || await context.newPage();
        page.setDefaultTimeout(15000);

        for (const p of pages(process.env.PUBLIC)) {
            for (const w of widths) {
                await check(page, p.name, p.path, w);
            }
        }

        await page.goto(base + '/admin/login');
        await page.fill('input[name="name"]', process.env.USER);
        await page.fill('input[name="password"]', process.env.PASS);
        await Promise.all([page.waitForURL(base + '/admin/'),
                           page.click('button[type="submit"]')]);

        for (const p of pages(process.env.ADMIN)) {
            for (const w of widths) {
                await check(page, p.name, p.path, w, true);
            }
        }
    } finally {
        await context.close();
    }
}

main().then(() => process.exit(0), (err) => {
    console.log('error: ' + (err && err.message ? err.message.split('\n')[0] : err));
    process.exit(1);
});
