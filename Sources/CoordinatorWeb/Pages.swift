import Foundation

/// The pages: a server-rendered shell per page, one hand-written script that fills it from the
/// JSON API and keeps it live over Server-Sent Events, one stylesheet. Nothing is loaded from
/// elsewhere (no CDN, fonts or third-party scripts): the view works offline.
public enum Page: Sendable, Equatable {
    case overview, figures, results, jobs
    case job(String)

    var name: String {
        switch self {
        case .overview: return "overview"
        case .figures: return "figures"
        case .results: return "results"
        case .jobs: return "jobs"
        case .job: return "job"
        }
    }

    var title: String {
        switch self {
        case .overview: return "Overview"
        case .figures: return "Figures"
        case .results: return "Results"
        case .jobs: return "Jobs"
        case .job(let id): return "Job \(id.prefix(12))"
        }
    }
}

enum Pages {
    static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }

    static func shell(_ page: Page) -> String {
        var job = ""
        if case .job(let id) = page { job = escape(id) }
        let nav = [("/", "Overview", "overview"), ("/figures", "Figures", "figures"), ("/results", "Results", "results"),
                   ("/jobs", "Jobs", "jobs")].map { href, text, name in
            "<a href=\"\(href)\"\(name == page.name || (name == "jobs" && page.name == "job") ? " class=\"here\"" : "")>\(text)</a>"
        }.joined(separator: " ")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>URNNSweep · \(escape(page.title))</title><link rel="stylesheet" href="/assets/style.css"></head>
            <body data-page="\(page.name)" data-job="\(job)" data-version="0" data-updates="0">
            <header><span class="brand">URNNSweep</span> <nav>\(nav)</nav> <span id="live" class="pill">connecting</span></header>
            <main id="main"><p class="muted">Loading…</p></main>
            <footer><span id="store"></span> · <a href="/api/sweep">API</a> · <a href="/metrics">metrics</a></footer>
            <script src="/assets/app.js"></script>
            </body></html>
            """
    }

    static func login(failed: Bool) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>URNNSweep · Login</title><link rel="stylesheet" href="/assets/style.css"></head>
        <body><header><span class="brand">URNNSweep</span></header><main>
        <h1>Token needed</h1>\(failed ? "<p class=\"bad\">That token is not this coordinator's.</p>" : "")
        <p>This coordinator was started with <code>--http-token-file</code>. Paste the token from that file.</p>
        <form method="post" action="/login"><input type="password" name="token" autofocus size="40">
        <button type="submit">Enter</button></form></main></body></html>
        """
    }

    static let style = """
        :root { --fg: #1b1f24; --muted: #6a737d; --line: #d8dee4; --bg: #fff; --soft: #f6f8fa;
                --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --run: #0969da; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 1.2em; align-items: center; padding: .6em 1.2em; border-bottom: 1px solid var(--line); background: var(--soft); }
        header .brand { font-weight: 700; }
        nav a { margin-right: .9em; color: var(--fg); text-decoration: none; }
        nav a.here { font-weight: 700; border-bottom: 2px solid var(--run); }
        main { padding: 1em 1.2em; max-width: 1280px; }
        footer { padding: .6em 1.2em; color: var(--muted); font-size: 12px; }
        h1 { font-size: 20px; margin: .2em 0 .6em; } h2 { font-size: 16px; margin: 1.4em 0 .5em; }
        .pill { margin-left: auto; padding: .1em .7em; border-radius: 1em; font-size: 12px; background: var(--line); }
        .pill.on { background: #dafbe1; color: var(--ok); } .pill.off { background: #fff1e5; color: var(--warn); }
        .muted { color: var(--muted); } .bad { color: var(--bad); }
        .cards { display: flex; flex-wrap: wrap; gap: .8em; margin: .8em 0; }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: .5em .9em; min-width: 7.5em; }
        .card b { display: block; font-size: 22px; }
        .bar { height: 14px; background: var(--soft); border: 1px solid var(--line); border-radius: 7px; overflow: hidden; max-width: 720px; }
        .bar > div { height: 100%; background: var(--ok); transition: width .3s; }
        table { border-collapse: collapse; margin: .4em 0 1em; }
        th, td { border-bottom: 1px solid var(--line); padding: .25em .7em; text-align: right; white-space: nowrap; }
        th { background: var(--soft); } td.l, th.l { text-align: left; }
        .state-done { color: var(--ok); } .state-failed, .state-diverged { color: var(--bad); } .state-running { color: var(--run); }
        .state-cancelled, .state-requeued { color: var(--warn); }
        form.filter { display: flex; gap: .8em; flex-wrap: wrap; align-items: end; margin-bottom: .6em; }
        form.filter label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
        figure { margin: 0 0 1.5em; } figure svg { max-width: 100%; height: auto; }
        pre { background: var(--soft); padding: .7em; border-radius: 6px; overflow-x: auto; max-width: 900px; }
        code { font-family: ui-monospace, monospace; font-size: 12px; }
        """

    /// The page script. It reads only this server's API; `update` events (SSE) redraw the overview
    /// at once and refresh the other pages when jobs finish.
    static let script = #"""
        'use strict';
        const body = document.body, page = body.dataset.page, main = document.getElementById('main');
        const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
        const num = (v, d = 4) => v == null ? '–' : Number(v).toFixed(d);
        async function api(path) {
          const r = await fetch(path, {credentials: 'same-origin', cache: 'no-store'});
          const j = await r.json();
          if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
          return j;
        }
        function dur(s) {
          if (s == null || !isFinite(s)) return '?';
          s = Math.round(s);
          if (s < 60) return s + 's';
          if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
          if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
          return Math.floor(s / 86400) + 'd' + String(Math.floor(s % 86400 / 3600)).padStart(2, '0') + 'h';
        }
        function table(cols, rows, id, left = 1) {
          const th = cols.map((c, i) => `<th${i < left ? ' class="l"' : ''}>${esc(c)}</th>`).join('');
          const tr = rows.map(r => '<tr>' + r.map((v, i) => `<td${i < left ? ' class="l"' : ''}>${v}</td>`).join('') + '</tr>').join('');
          return `<table${id ? ` id="${id}"` : ''}><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
        }
        const stateCell = s => `<span class="state-${esc(s)}">${esc(s)}</span>`;
        const when = t => new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);
        const endings = {result: ['done', 'result stored'], failed: ['failed', 'failed'], requeued: ['requeued', 'requeued'], cancelled: ['cancelled', 'cancelled']};
        function leaseEnd(l) {
          const [cls, text] = l.ending == null ? ['running', 'held'] : (endings[l.ending] || ['', l.ending]);
          return `<span class="lease-end state-${cls}" data-ending="${esc(l.ending ?? 'held')}">${esc(text)}${l.reason ? ': ' + esc(l.reason) : ''}</span>`;
        }

        function drawOverview(v, w) {
          const c = v.counts, pct = (100 * v.fraction).toFixed(1);
          document.getElementById('store').textContent = v.store;
          let h = `<h1>Sweep progress</h1><div class="bar"><div id="progress-bar" style="width:${pct}%"></div></div>
            <p id="progress-text" data-done="${c.done}" data-total="${c.total}" data-fraction="${v.fraction}">${c.done}/${c.total} done (${pct}%)` +
            `, ${v.jobsPerMinute == null ? 'no rate yet' : num(v.jobsPerMinute, 1) + ' jobs/min'}, ETA ${dur(v.etaSeconds)}</p><div class="cards">`;
          for (const [k, label] of [['done', 'done'], ['running', 'running'], ['pending', 'pending'], ['failed', 'failed'], ['diverged', 'diverged'], ['cancelled', 'cancelled']])
            h += `<div class="card"><b id="count-${k}">${c[k]}</b><span class="muted">${label}</span></div>`;
          h += '</div><h2>Sweeps</h2>' + table(['sweep', 'total', 'done', 'running', 'pending', 'failed', 'diverged', 'cancelled'],
            v.sweeps.map(s => [esc(s.name), s.counts.total, s.counts.done, s.counts.running, s.counts.pending, s.counts.failed, s.counts.diverged, s.counts.cancelled]), 'sweeps');
          if (v.coordinator) {
            const k = v.coordinator;
            h += `<p class="muted">Coordinator pid ${k.pid} on ${esc(k.endpoint)}, session ${esc(k.session)}` +
              (k.stopped ? ', stopped' : k.finished ? ', finished' : '') + `; last word ${dur(Date.now() / 1000 - k.updatedAt)} ago.</p>`;
            if (k.counters) {
              const n = k.counters;
              h += `<p class="muted">Messages ${n.messagesIn}, results stored ${n.resultsStored}, duplicates ${n.duplicates}, lease expiries ${n.leaseExpiries}, retries ${n.retries}, malformed ${n.malformed}, workers lost ${n.workersLost}.</p>`;
            }
          }
          h += `<h2>Workers (${w.alive} alive)</h2>` + table(['worker', 'host', 'pid', 'slots', 'running', 'last heard', 'build', 'ISA', 'jobs done'],
            w.workers.map(x => [esc(x.id), esc(x.host), x.pid ?? '–', x.slots ?? '–',
              x.running.map(j => `<a href="/jobs/${esc(j)}">${esc(j.slice(0, 8))}</a>`).join(' ') || '–',
              x.connected ? num(x.lastHeardSecondsAgo, 1) + ' s ago' : 'gone', esc(x.build ?? '–'), esc(x.instructionSet ?? '–'), x.jobsDone]), 'workers', 2);
          main.innerHTML = h;
        }

        function drawResults(r) {
          let h = `<h1>Results</h1><p class="muted">${r.records} stored results, the same tables as <code>report</code>'s summary.md.</p>`;
          if (!r.tables.length) h += '<p>No results to tabulate yet.</p>';
          r.tables.forEach((t, i) => {
            h += `<h2>${esc(t.title)}</h2>` + (t.note ? `<p class="muted">${esc(t.note)}</p>` : '');
            h += table(t.columns, t.rows.map(row => row.map(esc)), 'results-' + i);
          });
          main.innerHTML = h;
        }

        function drawFigures(r) {
          let h = `<h1>Figures</h1><p class="muted">Redrawn as results arrive (${r.records} stored results).</p>`;
          if (!r.figures.length) h += '<p>No figures yet: they appear with the first results.</p>';
          for (const f of r.figures) h += `<figure id="figure-${esc(f.name)}" title="${esc(f.title)}">${f.svg}</figure>`;
          main.innerHTML = h;
        }

        const filterKeys = ['kind', 'model', 'hidden', 'state'];
        function jobsQuery() {
          const q = new URLSearchParams(location.search), out = new URLSearchParams();
          for (const k of filterKeys.concat(['offset'])) if (q.get(k)) out.set(k, q.get(k));
          out.set('limit', '200');
          return out;
        }
        function drawJobs(v) {
          const q = new URLSearchParams(location.search);
          const sel = (k, opts) => `<label>${k}<select name="${k}"><option value="">any</option>` +
            opts.map(o => `<option${q.get(k) === o ? ' selected' : ''}>${o}</option>`).join('') + '</select></label>';
          let h = '<h1>Jobs</h1><form class="filter" method="get" action="/jobs">' +
            sel('kind', ['synthetic', 'pmnist', 'theorem1', 'theorem2', 'theorem3', 'noop']) + sel('model', ['rnn', 'crnn', 'urnn', 'lstm']) +
            `<label>hidden<input name="hidden" size="4" value="${esc(q.get('hidden') || '')}"></label>` +
            sel('state', ['pending', 'running', 'done', 'failed', 'diverged', 'cancelled']) + '<button type="submit">Filter</button></form>';
          h += `<p class="muted" id="jobs-count">${v.matching} matching jobs` + (v.matching > v.jobs.length ? `, showing ${v.offset + 1}–${v.offset + v.jobs.length}` : '') + '.';
          const page = off => { const p = new URLSearchParams(location.search); p.set('offset', String(off)); return '/jobs?' + p; };
          if (v.offset > 0) h += ` <a id="jobs-prev" href="${esc(page(Math.max(0, v.offset - v.limit)))}">previous</a>`;
          if (v.offset + v.jobs.length < v.matching) h += ` <a id="jobs-next" href="${esc(page(v.offset + v.limit))}">next</a>`;
          h += '</p>';
          h += table(['job', 'sweep', 'kind', 'model', 'hidden', 'state', 'attempts', 'worker', 'metric', 'spec'],
            v.jobs.map(j => [`<a href="/jobs/${esc(j.id)}">${esc(j.id.slice(0, 12))}</a>`, esc(j.sweep), esc(j.kind), esc(j.model ?? '–'),
              j.hidden ?? '–', stateCell(j.status === 'diverged' ? 'diverged' : j.state), j.attempts, esc(j.worker ?? '–'), num(j.metric), esc(j.summary)]), 'jobs', 4);
          main.innerHTML = h;
        }

        function drawJob(j) {
          const r = j.result, row = j.row;
          let h = `<h1>Job <code>${esc(row.id)}</code></h1><p>${esc(row.summary)}</p>`;
          h += table(['state', 'attempts', 'lease', 'worker', 'sweep', 'updated'], [[stateCell(row.status === 'diverged' ? 'diverged' : row.state),
            j.attempts, esc(j.leaseID ?? '–'), esc(row.worker ?? '–'), esc(row.sweep), new Date(j.updatedAt * 1000).toISOString()]], 'job-state', 0);
          if (j.lastError) h += `<h2>Error</h2><pre id="job-error">${esc(j.lastError)}</pre>`;
          h += `<h2>Leases</h2>` + (j.leases.length ? table(['lease', 'worker', 'host', 'granted', 'ended', 'held', 'how it ended'],
            j.leases.map(l => [esc(l.id), esc(l.worker), esc(l.host ?? '–'), when(l.grantedAt), l.endedAt == null ? '–' : when(l.endedAt),
              dur((l.endedAt ?? Date.now() / 1000) - l.grantedAt), leaseEnd(l)]), 'job-leases', 3)
            : `<p class="muted" id="job-leases">${row.state === 'done' ? 'No lease recorded (an imported result, or one stored before the store kept lease history).' : 'No lease yet.'}</p>`);
          if (r) {
            h += `<h2>Result</h2><p>${esc(r.status)}${r.divergedEpoch ? ', diverged at epoch ' + r.divergedEpoch : ''}; ran ${num(r.wallSeconds, 1)} s on ${esc(r.host)} (${esc(r.worker)}, ${esc(r.build)}).</p>`;
            h += table(['metric', 'value'], Object.keys(r.metrics).sort().map(k => [esc(k), num(r.metrics[k], 6)]), 'job-metrics');
            if (j.curvesSVG) h += `<h2>Per-epoch curves</h2><figure id="job-curves">${j.curvesSVG}</figure>`;
            h += '<h2>Guard events</h2>' + (r.events.length ? '<ul id="job-events">' + r.events.map(e => `<li>${esc(e)}</li>`).join('') + '</ul>' : '<p class="muted" id="job-events">none</p>');
          } else {
            h += '<p class="muted">No result yet.</p>';
          }
          let spec = j.spec;
          try { spec = JSON.stringify(JSON.parse(j.spec), null, 2); } catch (e) {}
          h += `<h2>Spec</h2><pre id="job-spec">${esc(spec)}</pre>`;
          main.innerHTML = h;
        }

        const titleOf = document.title.replace(/^URNNSweep · /, '');
        let lastView = null, busy = false, again = false;
        async function refresh(view) {
          if (busy) { again = true; return; }
          busy = true;
          try {
            if (page === 'overview') drawOverview(view || await api('/api/sweep'), await api('/api/workers'));
            else if (page === 'results') drawResults(await api('/api/results'));
            else if (page === 'figures') drawFigures(await api('/api/results'));
            else if (page === 'jobs') drawJobs(await api('/api/jobs?' + jobsQuery()));
            else if (page === 'job') drawJob(await api('/api/jobs/' + encodeURIComponent(body.dataset.job)));
            body.dataset.rendered = String(Number(body.dataset.rendered || 0) + 1);
          } catch (e) {
            main.innerHTML = `<p class="bad" id="error">${esc(e.message)}</p>`;
          } finally {
            busy = false;
            if (again) { again = false; refresh(); }
          }
        }

        function finished(v) { return v.counts.done + v.counts.failed + (v.counts.cancelled || 0); }
        function live() {
          const pill = document.getElementById('live');
          if (!window.EventSource || new URLSearchParams(location.search).get('live') === '0') { pill.textContent = 'static'; return; }
          const es = new EventSource('/api/events');
          es.addEventListener('update', ev => {
            const v = JSON.parse(ev.data);
            body.dataset.version = String(v.version);
            body.dataset.updates = String(Number(body.dataset.updates) + 1);
            document.title = `URNNSweep · ${v.counts.done}/${v.counts.total} done · ${titleOf}`;
            pill.textContent = v.live ? 'live' : 'store';
            pill.className = 'pill ' + (v.live ? 'on' : 'off');
            const moved = !lastView || finished(lastView) !== finished(v) || lastView.counts.running !== v.counts.running;
            if (page === 'overview') refresh(v);
            else if (moved && lastView) refresh();
            lastView = v;
          });
          es.onerror = () => { pill.textContent = 'reconnecting'; pill.className = 'pill off'; };
        }
        refresh().then(live);
        """#
}
