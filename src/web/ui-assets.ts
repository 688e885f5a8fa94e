/**
 * The UI's page, script and style, served by ui.ts. Plain browser JavaScript with no build step and no
 * third-party code: the page is small (DAG list, grid, task instance with its log, queues, workers, audit log)
 * and talks only to this server's API. The script builds the DOM with textContent, never innerHTML, so no
 * DAG id, log line or conf value is ever read as markup; the Content-Security-Policy allows only this script.
 */
export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>dagbridge</title><link rel="stylesheet" href="/ui/style.css"></head>
<body><header><a class="brand" href="#/">dagbridge</a><nav id="nav"></nav></header><div id="flash"></div><main id="main">Loading...</main><script src="/ui/app.js"></script></body></html>
`;

export const STYLE_CSS = String.raw`body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
header { display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem; background: #017cee; }
header a, header span { color: #fff; text-decoration: none; }
header .brand { font-weight: bold; margin-right: 1rem; }
header nav { display: flex; gap: 1rem; align-items: center; flex: 1; }
header .who { margin-left: auto; }
main { padding: 1rem; }
table { border-collapse: collapse; }
th, td { padding: .25rem .5rem; text-align: left; border-bottom: 1px solid #eee; }
.state { display: inline-block; width: 14px; height: 14px; border-radius: 3px; margin: 1px; background: #fff; border: 1px solid #ccc; font-size: 10px; text-align: center; color: #000; text-decoration: none; }
.s-success { background: #008000; } .s-failed { background: #ff0000; } .s-running { background: #00ff00; }
.s-queued { background: #808080; } .s-scheduled { background: #d2b48c; } .s-up_for_retry { background: #ffd700; }
.s-up_for_reschedule { background: #40e0d0; } .s-upstream_failed { background: #ffa500; } .s-skipped { background: #ff69b4; }
.s-removed { background: #d3d3d3; } .s-restarting { background: #ee82ee; } .s-none { background: #fff; }
.grid td, .grid th.run { padding: 0 2px; border: 0; }
.tag { background: #eef; border-radius: 3px; padding: 0 .3rem; margin-right: .2rem; }
.banner, .error { background: #fee; border: 1px solid #f99; padding: .5rem; }
#flash.ok { color: #060; } #flash.error { color: #a00; }
pre#log { background: #111; color: #eee; padding: .5rem; max-height: 60vh; overflow: auto; }
form label { display: block; margin: .5rem 0; }
.button, button { padding: .2rem .6rem; border: 1px solid #017cee; border-radius: 3px; background: #fff; color: #017cee; cursor: pointer; text-decoration: none; }
`;

export const APP_JS = String.raw`'use strict';
// dagbridge UI: one page, hash routes, the REST API of this server, polling for updates.
(function () {
  var main = document.getElementById('main');
  var nav = document.getElementById('nav');
  var me = null;
  var timer = null;
  var follow = null;

  function h(tag, attrs) {
    var el = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    append(el, kids);
    return el;
  }
  // Children: nodes, strings, numbers, arrays of them; null, undefined and false are left out.
  function append(el, kids) {
    kids.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) append(el, c);
      else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
  }
  function put(el) {
    el.textContent = '';
    append(el, Array.prototype.slice.call(arguments, 1));
    return el;
  }
  function enc(s) { return encodeURIComponent(s); }
  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && me && me.csrf_token) headers['x-csrf-token'] = me.csrf_token;
    return fetch(path, { method: method, headers: headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = t ? JSON.parse(t) : {};
          if (r.status === 401 && path.indexOf('/login') < 0) { me = null; location.hash = '#/login'; throw new Error('log in first'); }
          if (!r.ok) throw new Error(data.detail || (r.status + ' ' + r.statusText));
          return data;
        });
      });
  }
  function stateCell(state, title, href) {
    var s = state || 'none';
    var attrs = { 'class': 'state s-' + s, title: (title ? title + ': ' : '') + s, 'data-state': s };
    return href ? h('a', Object.assign({ href: href }, attrs)) : h('span', attrs);
  }
  function fail(err) { put(main, h('p', { 'class': 'error', text: String(err.message || err) })); }
  function flash(text, cls) {
    var el = document.getElementById('flash');
    el.textContent = text;
    el.className = cls || 'ok';
  }
  function poll(fn) { clearInterval(timer); timer = setInterval(function () { fn().catch(function () { /* the next poll tries again */ }); }, 3000); }

  function renderNav() {
    put(nav, 
      h('a', { href: '#/' }, 'DAGs'), h('a', { href: '#/queues' }, 'Queues'), h('a', { href: '#/workers' }, 'Workers'),
      me && (me.role === 'Op' || me.role === 'Admin') ? h('a', { href: '#/connections' }, 'Connections') : null,
      me && me.role === 'Admin' ? h('a', { href: '#/audit' }, 'Audit log') : null,
      me ? h('span', { 'class': 'who' }, me.username + ' (' + me.role + ')') : null,
      me && me.csrf_token ? h('button', { id: 'logout', onclick: function () { api('POST', '/dagbridge/api/v1/logout').then(function () { me = null; location.hash = '#/login'; }); } }, 'Log out') : null
    );
  }

  function loginPage() {
    clearInterval(timer);
    var user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
    var pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    var form = h('form', { id: 'login', onsubmit: function (e) {
      e.preventDefault();
      api('POST', '/dagbridge/api/v1/login', { username: user.value, password: pass.value })
        .then(function (r) { me = r; renderNav(); location.hash = '#/'; })
        .catch(function (err) { flash(err.message, 'error'); });
    } }, h('h1', {}, 'Log in'), h('label', {}, 'Username ', user), h('label', {}, 'Password ', pass), h('button', { type: 'submit' }, 'Log in'));
    put(main, form);
  }

  function dagsPage() {
    var search = h('input', { id: 'search', placeholder: 'search DAG ids', value: sessionStorage.getItem('search') || '' });
    var tags = h('input', { id: 'tags', placeholder: 'tags, comma-separated', value: sessionStorage.getItem('tags') || '' });
    var banner = h('div', { id: 'import-errors' });
    var table = h('table', { id: 'dags' });
    function load() {
      sessionStorage.setItem('search', search.value);
      sessionStorage.setItem('tags', tags.value);
      var q = '?limit=100&order_by=dag_id';
      if (search.value) q += '&dag_id_pattern=' + enc(search.value);
      tags.value.split(',').map(function (t) { return t.trim(); }).filter(Boolean).forEach(function (t) { q += '&tags=' + enc(t); });
      return Promise.all([api('GET', '/api/v1/dags' + q), api('GET', '/api/v1/importErrors'), api('GET', '/dagbridge/api/v1/ui/dags/last-runs')]).then(function (res) {
        var dags = res[0].dags, errors = res[1].import_errors, last = res[2].last_runs;
        put(banner, errors.length ? h('div', { 'class': 'banner' }, errors.length + ' file(s) failed to import: ', errors.map(function (e) { return h('code', { title: e.stack_trace }, e.filename + ' '); })) : null);
        put(table, 
          h('tr', {}, h('th', {}, 'Paused'), h('th', {}, 'DAG'), h('th', {}, 'Schedule'), h('th', {}, 'Tags'), h('th', {}, 'Last runs'), h('th', {}, '')),
          dags.map(function (d) {
            var toggle = h('input', { type: 'checkbox', 'class': 'pause', 'data-dag': d.dag_id, checked: d.is_paused, title: d.is_paused ? 'paused: click to unpause' : 'active: click to pause', onchange: function () {
              api('PATCH', '/api/v1/dags/' + enc(d.dag_id) + '?update_mask=is_paused', { is_paused: toggle.checked }).then(load).catch(function (err) { flash(err.message, 'error'); toggle.checked = !toggle.checked; });
            } });
            return h('tr', { 'data-dag': d.dag_id },
              h('td', {}, toggle),
              h('td', {}, h('a', { href: '#/dags/' + enc(d.dag_id) }, d.dag_id)),
              h('td', {}, d.timetable_description || ''),
              h('td', {}, d.tags.map(function (t) { return h('span', { 'class': 'tag' }, t.name); })),
              h('td', { 'class': 'runs' }, (last[d.dag_id] || []).map(function (r) { return stateCell(r.state, r.dag_run_id, '#/dags/' + enc(d.dag_id)); })),
              h('td', {}, h('a', { href: '#/dags/' + enc(d.dag_id) + '/trigger', 'class': 'button' }, 'Trigger')));
          }));
      });
    }
    search.addEventListener('change', function () { load().catch(fail); });
    tags.addEventListener('change', function () { load().catch(fail); });
    put(main, h('h1', {}, 'DAGs'), h('div', { 'class': 'filters' }, search, tags), banner, table);
    return load().then(function () { poll(load); });
  }

  function triggerPage(dagId) {
    clearInterval(timer);
    return api('GET', '/api/v1/dags/' + enc(dagId) + '/details').then(function (d) {
      var defaults = {};
      Object.keys(d.params || {}).forEach(function (k) { defaults[k] = d.params[k].value; });
      var conf = h('textarea', { id: 'conf', rows: 8, cols: 60 });
      conf.value = JSON.stringify(defaults, null, 2);
      var runId = h('input', { id: 'run-id', placeholder: 'run id (default manual__<date>)' });
      var form = h('form', { id: 'trigger', onsubmit: function (e) {
        e.preventDefault();
        var body;
        try { body = { conf: JSON.parse(conf.value || '{}') }; } catch (err) { flash('conf is not JSON: ' + err.message, 'error'); return; }
        if (runId.value) body.dag_run_id = runId.value;
        api('POST', '/api/v1/dags/' + enc(dagId) + '/dagRuns', body).then(function (r) {
          flash('created DAG run ' + r.dag_run_id);
          location.hash = '#/dags/' + enc(dagId);
        }).catch(function (err) { flash(err.message, 'error'); });
      } }, h('h1', {}, 'Trigger ' + dagId), h('label', {}, 'Run id ', runId), h('label', {}, 'Conf (JSON; the DAG\'s params as defaults)', conf), h('button', { type: 'submit', id: 'trigger-submit' }, 'Trigger'));
      put(main, form);
    });
  }

  function gridPage(dagId) {
    var box = h('div', { id: 'grid' });
    function load() {
      return Promise.all([
        api('GET', '/api/v1/dags/' + enc(dagId) + '/tasks'),
        api('GET', '/api/v1/dags/' + enc(dagId) + '/dagRuns?order_by=-logical_date&limit=25'),
        api('GET', '/dagbridge/api/v1/ui/dags/' + enc(dagId) + '/grid?limit=25'),
      ]).then(function (res) {
        var tasks = res[0].tasks, runs = res[1].dag_runs.slice().reverse(), cells = res[2].cells;
        var table = h('table', { 'class': 'grid' },
          h('tr', {}, h('th', {}, 'task \\ run'), runs.map(function (r) { return h('th', { 'class': 'run' }, stateCell(r.state, r.dag_run_id)); })),
          tasks.map(function (t) {
            return h('tr', { 'data-task': t.task_id }, h('th', { 'class': 'task' }, t.task_id), runs.map(function (r) {
              var c = (cells[r.dag_run_id] || {})[t.task_id];
              var label = c ? (c.count > 1 ? String(c.count) : '') : '';
              return h('td', {}, c ? h('a', { href: '#/dags/' + enc(dagId) + '/runs/' + enc(r.dag_run_id) + '/tasks/' + enc(t.task_id), 'class': 'state s-' + c.state, title: r.dag_run_id + ' ' + t.task_id + ': ' + c.state, 'data-state': c.state, 'data-run': r.dag_run_id }, label) : h('span', { 'class': 'state s-none' }));
            }));
          }));
        var runList = h('ul', { id: 'runs' }, res[1].dag_runs.map(function (r) {
          var fail = h('button', { 'class': 'mark-failed', onclick: function () { api('PATCH', '/api/v1/dags/' + enc(dagId) + '/dagRuns/' + enc(r.dag_run_id), { state: 'failed' }).then(load).catch(function (err) { flash(err.message, 'error'); }); } }, 'Mark failed');
          return h('li', { 'data-run': r.dag_run_id, 'data-state': r.state }, stateCell(r.state), ' ' + r.dag_run_id + ' (' + r.run_type + ', ' + r.state + ') ', r.state === 'running' || r.state === 'queued' ? fail : null);
        }));
        put(box, table, h('h2', {}, 'Runs'), runList);
      });
    }
    put(main, h('h1', {}, dagId), h('p', {}, h('a', { href: '#/dags/' + enc(dagId) + '/trigger', 'class': 'button', id: 'trigger-link' }, 'Trigger')), box);
    return load().then(function () { poll(load); });
  }

  function taskPage(dagId, runId, taskId) {
    clearInterval(follow);
    var base = '/api/v1/dags/' + enc(dagId) + '/dagRuns/' + enc(runId) + '/taskInstances/' + enc(taskId);
    var info = h('div', { id: 'ti' });
    var logBox = h('pre', { id: 'log' });
    var chosen = null, token = null;
    function readLog() {
      if (chosen === null) return Promise.resolve();
      return api('GET', base + '/logs/' + chosen + (token ? '?token=' + enc(token) : '')).then(function (r) {
        if (r.content) logBox.appendChild(document.createTextNode(r.content));
        token = r.continuation_token;
      });
    }
    function choose(n) { chosen = n; token = null; logBox.textContent = ''; return readLog(); }
    function load() {
      return Promise.all([api('GET', base), api('GET', base + '/tries'), api('GET', base + '/xcomEntries'), api('GET', '/dagbridge/api/v1/dags/' + enc(dagId) + '/dagRuns/' + enc(runId) + '/taskInstances/' + enc(taskId) + '/why')]).then(function (res) {
        var ti = res[0], tries = res[1].task_instances, xcoms = res[2].xcom_entries, why = res[3];
        var clear = h('button', { id: 'clear', onclick: function () {
          api('POST', '/api/v1/dags/' + enc(dagId) + '/clearTaskInstances', { dag_run_id: runId, task_ids: [taskId], dry_run: false, only_failed: false, include_downstream: document.getElementById('downstream').checked }).then(function () { flash('cleared ' + taskId); return load(); }).catch(function (err) { flash(err.message, 'error'); });
        } }, 'Clear');
        function mark(state) {
          return h('button', { id: 'mark-' + state, onclick: function () {
            api('PATCH', base, { new_state: state, dry_run: false }).then(function () { flash('marked ' + taskId + ' ' + state); return load(); }).catch(function (err) { flash(err.message, 'error'); });
          } }, 'Mark ' + state);
        }
        put(info, 
          h('p', {}, stateCell(ti.state), ' ' + (ti.state || 'no state') + ', try ' + ti.try_number + ' of ' + (ti.max_tries + 1) + (ti.hostname ? ' on ' + ti.hostname : '') + (ti.duration !== null ? ', ' + ti.duration.toFixed(1) + ' s' : '')),
          ti.note ? h('p', { 'class': 'note' }, ti.note) : null,
          why && why.reasons && why.reasons.length ? h('ul', { 'class': 'why', id: 'why' }, why.reasons.map(function (r) { return h('li', {}, r.message); })) : null,
          h('p', {}, clear, h('label', {}, h('input', { type: 'checkbox', id: 'downstream' }), ' with downstream'), ' ', mark('success'), ' ', mark('failed')),
          h('h2', {}, 'Tries'),
          h('ul', { id: 'tries' }, tries.map(function (t) { return h('li', {}, h('a', { href: '#', onclick: function (e) { e.preventDefault(); choose(t.try_number); } }, 'try ' + t.try_number), ' ' + (t.state || '') + (t.duration !== null ? ' ' + t.duration.toFixed(1) + ' s' : '') + (t.note ? ' (' + t.note + ')' : '')); })),
          h('h2', {}, 'XComs'),
          h('ul', {}, xcoms.map(function (x) { return h('li', {}, x.key); })));
        if (chosen === null && ti.try_number > 0) return choose(ti.try_number);
      });
    }
    put(main, h('h1', {}, h('a', { href: '#/dags/' + enc(dagId) }, dagId), ' / ' + runId + ' / ' + taskId), info, h('h2', {}, 'Log'), logBox);
    return load().then(function () { poll(function () { return load().then(readLog); }); });
  }

  function tablePage(title, id, path, pick, columns) {
    function load() {
      return api('GET', path).then(function (r) {
        var rows = pick(r);
        put(main, h('h1', {}, title), h('table', { id: id }, h('tr', {}, columns.map(function (c) { return h('th', {}, c[0]); })), rows.map(function (row) {
          return h('tr', {}, columns.map(function (c) { var v = c[1](row); return h('td', {}, v === null || v === undefined ? '' : String(v)); }));
        })));
      });
    }
    return load().then(function () { poll(load); });
  }

  // Queues and their dead letters, with requeue/drop/purge (Op): dagbridge queue ... does the same.
  function queuesPage() {
    var box = h('div', { id: 'queues-page' });
    function act(path, body, done) {
      return api('POST', path, body).then(function (r) { flash(done(r)); return load(); }).catch(function (err) { flash(err.message, 'error'); });
    }
    function load() {
      return api('GET', '/dagbridge/api/v1/queues').then(function (report) {
        var queues = report.queues;
        return Promise.all(queues.map(function (q) { return q.deadLettered > 0 ? api('GET', '/dagbridge/api/v1/queues/' + enc(q.queue) + '/deadLetters?limit=100') : Promise.resolve({ deadLetters: [] }); })).then(function (dead) {
          var qpath = function (q) { return '/dagbridge/api/v1/queues/' + enc(q); };
          put(box,
            h('table', { id: 'queues' }, h('tr', {}, ['queue', 'ready', 'oldest (s)', 'in flight', 'waiting for retry', 'dead letters', 'workers', ''].map(function (c) { return h('th', {}, c); })),
              queues.map(function (q) {
                var purge = h('button', { 'class': 'purge', onclick: function () {
                  if (!confirm('Purge the ' + q.ready + ' ready message(s) of queue ' + q.queue + '? Their task instances go back to scheduled.')) return;
                  act(qpath(q.queue) + '/purge', {}, function (r) { return 'purged ' + r.purged + ' message(s) of ' + q.queue + ': ' + r.rescheduled + ' task instance(s) back to scheduled'; });
                } }, 'Purge');
                return h('tr', { 'data-queue': q.queue }, h('td', {}, q.queue), h('td', {}, String(q.ready)), h('td', {}, q.oldestReadyAgeMs === null ? '' : String(Math.round(q.oldestReadyAgeMs / 1000))), h('td', {}, String(q.inFlight)), h('td', {}, String(q.waitingForRetry)), h('td', {}, String(q.deadLettered)), h('td', {}, q.eligibleWorkers.join(', ')), h('td', {}, q.ready > 0 ? purge : null));
              })),
            (report.warnings || []).map(function (w) { return h('p', { 'class': 'banner' }, w); }),
            queues.map(function (q, i) {
              var entries = dead[i].deadLetters;
              if (!entries.length) return null;
              return h('section', { 'class': 'dead-letters', 'data-queue': q.queue }, h('h2', {}, 'Dead letters of ' + q.queue),
                h('table', {}, h('tr', {}, ['message', 'deliveries', 'dead at', 'task instance', 'reason', ''].map(function (c) { return h('th', {}, c); })),
                  entries.map(function (e) {
                    return h('tr', { 'data-entry': e.entryId, 'data-message': e.id || '' }, h('td', {}, e.id || '(raw payload)'), h('td', {}, String(e.deliveries)), h('td', {}, new Date(e.deadAt).toISOString()), h('td', {}, e.taskInstanceState || ''), h('td', { 'class': 'reason' }, e.reason),
                      h('td', {}, e.payloadTruncated ? null : h('button', { 'class': 'requeue', onclick: function () { act(qpath(q.queue) + '/deadLetters/retry', { entry_ids: [e.entryId] }, function (r) { return 'requeued ' + r.retried.length + ' dead letter(s) of ' + q.queue; }); } }, 'Requeue'),
                        ' ', h('button', { 'class': 'drop', onclick: function () { act(qpath(q.queue) + '/deadLetters/drop', { entry_ids: [e.entryId] }, function (r) { return 'dropped ' + r.dropped.length + ' dead letter(s) of ' + q.queue; }); } }, 'Drop')));
                  })));
            }));
        });
      });
    }
    put(main, h('h1', {}, 'Queues'), box);
    return load().then(function () { poll(load); });
  }

  // Workers with what they refuse and why, and drain/resume/shutdown (Op): dagbridge workers ... does the same.
  function workersPage() {
    var box = h('div', { id: 'workers-page' });
    function ask(w, what, body) {
      if (what === 'shutdown' && !confirm('Shut down worker ' + w.workerId + '? Its running tasks finish first.')) return;
      api('POST', '/dagbridge/api/v1/workers/' + enc(w.workerId) + '/' + what, body || {}).then(function () { flash('asked ' + w.workerId + ' to ' + what + ' (it reads the request with its next heartbeat)'); return load(); }).catch(function (err) { flash(err.message, 'error'); });
    }
    function load() {
      return api('GET', '/dagbridge/api/v1/workers').then(function (r) {
        put(box, h('table', { id: 'workers' }, h('tr', {}, ['worker', 'host', 'state', 'slots', 'queues', 'refused', 'heartbeat (s ago)', ''].map(function (c) { return h('th', {}, c); })),
          r.workers.map(function (w) {
            var gone = w.state === 'lost' || w.state === 'stopped';
            return h('tr', { 'data-worker': w.workerId },
              h('td', {}, w.workerId), h('td', {}, w.hostname || ''), h('td', { 'class': 'worker-state' }, w.state + (w.requestedAction && !gone ? ' (' + w.requestedAction + ' requested)' : '')),
              h('td', {}, w.slotsBusy + '/' + w.concurrency), h('td', {}, (w.queues || []).join(', ')),
              h('td', { 'class': 'refused' }, (w.refused || []).map(function (x) { return h('div', {}, x.queue + ': ' + x.reasons.join('; ')); })),
              h('td', {}, w.heartbeatAgeMs === null ? 'never' : String(Math.round(w.heartbeatAgeMs / 1000))),
              h('td', {}, gone ? null : [
                h('button', { 'class': 'drain', onclick: function () { ask(w, 'drain'); } }, 'Drain'), ' ',
                h('button', { 'class': 'resume', onclick: function () { ask(w, 'resume'); } }, 'Resume'), ' ',
                h('button', { 'class': 'shutdown', onclick: function () { ask(w, 'shutdown'); } }, 'Shut down')]));
          })));
      });
    }
    put(main, h('h1', {}, 'Workers'), box);
    return load().then(function () { poll(load); });
  }

  // Connections (Op): the list has no secrets; Show fetches one, its extra with sensitive values as ***, never the password.
  function connectionsPage() {
    var box = h('div', { id: 'connections-page' });
    var detail = h('pre', { id: 'connection-detail' });
    function load() {
      return api('GET', '/api/v1/connections?limit=1000').then(function (r) {
        put(box, h('table', { id: 'connections' }, h('tr', {}, ['connection', 'type', 'host', 'port', 'schema', 'login', 'description', ''].map(function (c) { return h('th', {}, c); })),
          r.connections.map(function (c) {
            return h('tr', { 'data-conn': c.connection_id }, [c.connection_id, c.conn_type, c.host, c.port, c.schema, c.login, c.description].map(function (v) { return h('td', {}, v === null || v === undefined ? '' : String(v)); }),
              h('td', {}, h('button', { 'class': 'show', onclick: function () {
                api('GET', '/api/v1/connections/' + enc(c.connection_id)).then(function (one) { detail.textContent = c.connection_id + '\npassword: (never shown)\nextra: ' + (one.extra === null ? '' : one.extra); }).catch(function (err) { flash(err.message, 'error'); });
              } }, 'Show')));
          })));
      });
    }
    put(main, h('h1', {}, 'Connections'), box, detail);
    return load().then(function () { poll(load); });
  }

  function route() {
    clearInterval(timer);
    var parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (!me && parts[0] !== 'login') return start();
    renderNav();
    var page;
    if (parts[0] === 'login') page = Promise.resolve(loginPage());
    else if (parts[0] === 'dags' && parts[2] === 'trigger') page = triggerPage(parts[1]);
    else if (parts[0] === 'dags' && parts[2] === 'runs' && parts[4] === 'tasks') page = taskPage(parts[1], parts[3], parts[5]);
    else if (parts[0] === 'dags' && parts[1]) page = gridPage(parts[1]);
    else if (parts[0] === 'queues') page = queuesPage();
    else if (parts[0] === 'workers') page = workersPage();
    else if (parts[0] === 'connections') page = connectionsPage();
    else if (parts[0] === 'audit') page = tablePage('Audit log', 'audit', '/api/v1/eventLogs?order_by=-event_log_id&limit=200', function (r) { return r.event_logs; }, [['when', function (e) { return e.when; }], ['who', function (e) { return e.owner; }], ['event', function (e) { return e.event; }], ['dag', function (e) { return e.dag_id; }], ['run', function (e) { return e.run_id; }], ['extra', function (e) { return e.extra; }]]);
    else page = dagsPage();
    page.catch(fail);
  }

  function start() {
    return api('GET', '/dagbridge/api/v1/me').then(function (r) { me = r; route(); }).catch(function () { location.hash = '#/login'; route(); });
  }
  window.addEventListener('hashchange', route);
  start();
})();
`;
