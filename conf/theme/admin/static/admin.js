/*
 * Small progressive help for the admin panel; every page works without it.
 *   - "Preview" renders the Markdown in place instead of reloading the page
 *     (the server renders it, with the same safe cmark as the site).
 *   - Forms with data-confirm ask first.
 *   - A newsletter's page follows its send live: the realtime hub's
 *     "progress" events of its topic (data-topic) update the counts and
 *     the bar; the browser's EventSource reconnects by itself.
 */
(function () {
    'use strict';

    document.addEventListener('click', function (ev) {
        var button = ev.target.closest('button[name="action"][value="preview"]');
        if (!button) {
            return;
        }

        var form = button.form;
        var body = form.querySelector('#body');
        var out = document.getElementById('preview');
        if (!body || !out || !window.fetch) {
            return;
        }

        ev.preventDefault();

        var data = new URLSearchParams();
        data.set('csrf', form.elements.csrf.value);
        data.set('body', body.value);

        fetch(body.getAttribute('data-preview'), {
            method: 'POST',
            body: data,
            credentials: 'same-origin'
        }).then(function (res) {
            return res.text().then(function (html) {
                if (!res.ok) {
                    throw new Error('status ' + res.status);
                }
                out.innerHTML = '<h2>Preview</h2>' + html;
            });
        }).catch(function () {
            /* the form's own preview still works: send it */
            form.requestSubmit(button);
        });
    });

    document.addEventListener('submit', function (ev) {
        var text = ev.target.getAttribute('data-confirm');
        if (text && !window.confirm(text)) {
            ev.preventDefault();
        }
    });

    (function () {
        var page = document.querySelector('#newsletter[data-events]');
        var es;

        if (!page || !window.EventSource) {
            return;
        }

        es = new EventSource(page.getAttribute('data-events') + '?topic='
                             + encodeURIComponent(page.getAttribute('data-topic')));

        es.addEventListener('progress', function (ev) {
            var c = JSON.parse(ev.data);
            var bar = document.getElementById('progress');
            var cells = page.querySelectorAll('[data-count]');
            var i, name;

            for (i = 0; i < cells.length; i++) {
                name = cells[i].getAttribute('data-count');
                if (c[name] !== undefined) {
                    cells[i].textContent = String(c[name]);
                }
            }

            if (bar && c.total > 0) {
                bar.value = Math.floor((c.total - c.queued - c.sending) * 100 / c.total);
                bar.textContent = bar.value + '%';
            }
        });
    }());
}());
