/*
 * Small progressive help for the admin panel; every page works without it.
 *   - "Preview" renders the Markdown in place instead of reloading the page
 *     (the server renders it, with the same safe cmark as the site).
 *   - Forms with data-confirm ask first.
 *   - A newsletter's page follows its send live: the realtime hub's
 *     "progress" events of its topic (data-topic) update the counts and
 *     the bar; the browser's EventSource reconnects by itself.
 *   - The dashboard's current visitors follow the realtime hub's
 *     "analytics.current" (for admins only: the hub's location passes the
 *     session's user); without script the page shows the number it was
 *     made with.
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

    (function live() {
        var el = document.querySelector('#current-visitors[data-topic]');
        var lastId = '', delay = 2000;

        if (!el || !window.EventSource) {
            return;
        }

        function connect() {
            var q = 'topic=' + encodeURIComponent(el.getAttribute('data-topic'));
            var es;

            if (lastId) {
                q += '&last_event_id=' + encodeURIComponent(lastId);
            }

            es = new EventSource(el.getAttribute('data-events') + '?' + q);

            es.addEventListener('current', function (e) {
                lastId = e.lastEventId || lastId;
                el.textContent = JSON.parse(e.data).visitors;
            });

            es.onopen = function () {
                delay = 2000;
            };

            /* the browser retries by itself unless it gave up */
            es.onerror = function () {
                if (es.readyState === EventSource.CLOSED) {
                    setTimeout(connect, delay);
                    delay = Math.min(delay * 2, 60000);
                }
            };
        }

        connect();
    }());
}());
