/*
 * Live updates of a post page from the jobrunner's realtime hub
 * (blog_live_url): the view counter, and approved comments appended as
 * they come.  Without JavaScript the page shows the counts and comments
 * it was rendered with.
 *
 * One EventSource follows every topic the page names (data-topic). The
 * browser reconnects by itself after the hub's "retry:" delay, sending
 * the last event id, so nothing published meanwhile is missed; when it
 * gives up (an error page during a restart, say), a new one is made with
 * the last id in the query.
 */
(function () {
    'use strict';

    var script = document.currentScript;
    var url = script && script.getAttribute('data-events');
    var views = document.querySelector('#views[data-topic]');
    var comments = document.querySelector('#comments[data-topic]');
    var topics = [], lastId = '', delay = 2000;

    if (!url || !window.EventSource || (!views && !comments)) {
        return;
    }

    if (views) {
        topics.push(views.getAttribute('data-topic'));
    }

    if (comments) {
        topics.push(comments.getAttribute('data-topic'));
    }

    function addComment(c) {
        var article, meta, name, time, body, empty;

        if (document.getElementById('comment-' + c.id)) {
            return;
        }

        article = document.createElement('article');
        article.className = 'comment live';
        article.id = 'comment-' + c.id;

        meta = document.createElement('p');
        meta.className = 'meta';
        name = document.createElement('strong');
        name.textContent = c.name;
        time = document.createElement('time');
        time.setAttribute('datetime', c.created_iso);
        time.textContent = c.created_date;
        meta.appendChild(name);
        meta.appendChild(document.createTextNode(' \u00b7 '));
        meta.appendChild(time);

        /* the server's HTML, as on the page: cmark's safe output */
        body = document.createElement('div');
        body.className = 'body';
        body.innerHTML = c.html;

        article.appendChild(meta);
        article.appendChild(body);

        empty = comments.querySelector('p.empty');
        if (empty) {
            empty.remove();
        }

        comments.insertBefore(article, document.getElementById('comment-pending'));
    }

    function connect() {
        var q = topics.map(function (t) {
            return 'topic=' + encodeURIComponent(t);
        });

        if (lastId) {
            q.push('last_event_id=' + encodeURIComponent(lastId));
        }

        var es = new EventSource(url + '?' + q.join('&'));

        es.addEventListener('views', function (e) {
            lastId = e.lastEventId || lastId;
            views.textContent = JSON.parse(e.data).views;
        });

        es.addEventListener('comment', function (e) {
            lastId = e.lastEventId || lastId;
            addComment(JSON.parse(e.data));
        });

        es.onopen = function () {
            delay = 2000;
        };

        es.onerror = function () {
            if (es.readyState === EventSource.CLOSED) {
                setTimeout(connect, delay);
                delay = Math.min(delay * 2, 60000);
            }
        };
    }

    connect();
}());
