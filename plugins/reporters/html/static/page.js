/* benchlab's pages: filters, search, lazily drawn rows and transcripts.
   Every string from the data blocks is set as textContent: no model text is ever parsed as markup. */
'use strict';
(function () {
  var PAGE = 100;          // rows drawn at a time
  var LONG = 100000;       // characters shown before a "Show all" button

  function block(name) {
    var node = document.getElementById('data-' + name);
    return node ? JSON.parse(node.textContent) : null;
  }

  // The transcripts follow this script in the document: whatever needs them waits until it is read.
  function whenRead(action) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', action, { once: true });
    else action();
  }

  var transcriptsCache = null;
  function transcripts() {
    // The biggest block, parsed on first need (opening a transcript, searching): the overview shows first.
    if (transcriptsCache === null) {
      var node = document.getElementById('data-transcripts');
      transcriptsCache = node ? JSON.parse(node.textContent) : [];
      if (node) node.remove();  // the parsed copy is the one kept
    }
    return transcriptsCache;
  }

  function make(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function longText(field, text) {
    var pre = make('pre', 'text');
    pre.setAttribute('data-field', field);
    text = text === null || text === undefined ? '' : String(text);
    if (text.length <= LONG) {
      pre.textContent = text;
      return pre;
    }
    var wrap = make('div', 'long');
    pre.textContent = text.slice(0, LONG);
    pre.setAttribute('data-truncated', 'true');
    var note = make('p', 'truncated', 'Showing the first ' + LONG.toLocaleString('en') + ' of ' + text.length.toLocaleString('en') + ' characters. ');
    var all = make('button', 'show-all', 'Show all');
    all.type = 'button';
    all.addEventListener('click', function () {
      pre.textContent = text;
      pre.removeAttribute('data-truncated');
      note.remove();
    });
    note.append(all);
    wrap.append(note, pre);
    return wrap;
  }

  function collapsible(summary, body, open) {
    var details = make('details');
    if (open) details.open = true;
    details.append(make('summary', null, summary), body);
    return details;
  }

  function seconds(value) { return value === null || value === undefined ? '-' : value.toFixed(2) + 's'; }

  function message(m) {
    var box = make('div', 'msg role-' + String(m.role).replace(/[^a-z_]/g, ''));
    box.append(make('div', 'role', m.role + (m.name ? ' (' + m.name + ')' : '')));
    box.append(longText('message', m.content));
    (m.tool_calls || []).forEach(function (c) {
      box.append(make('div', 'role', m.role + ' called ' + c.name), longText('arguments', c.arguments));
    });
    return box;
  }

  // The raw body's strings equal to the answer or the reasoning were embedded once, as {SAME: field}.
  var SAME = 'benchlab:same-as';
  function restore(value, response) {
    if (Array.isArray(value)) return value.map(function (v) { return restore(v, response); });
    if (value === null || typeof value !== 'object') return value;
    var keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === SAME) return response[value[SAME]];
    var copy = {};
    keys.forEach(function (k) {  // defineProperty: a key named __proto__ stays a plain key
      Object.defineProperty(copy, k, { value: restore(value[k], response), enumerable: true, writable: true, configurable: true });
    });
    return copy;
  }

  function turn(t, number, total) {
    var section = make('section', 'turn');
    if (total > 1) section.append(make('h5', null, 'Turn ' + number));
    if (t.request) {
      t.request.messages.forEach(function (m) { section.append(message(m)); });
      if (t.request.tools) section.append(make('p', 'muted', 'Tools offered: ' + t.request.tools.join(', ')));
      section.append(collapsible('Request settings', longText('settings', t.request.settings), false));
    }
    var r = t.response;
    if (!r) {
      section.append(make('p', 'muted', 'No response (the attempt failed).'));
      return section;
    }
    if (r.reasoning) section.append(collapsible('Reasoning (' + r.reasoning.length.toLocaleString('en') + ' characters)', longText('reasoning', r.reasoning), false));
    var answer = make('div', 'msg role-assistant');
    // A recorded answer (the replay backend) has no HTTP status: say nothing rather than "status null".
    var status = r.status_code === null || r.status_code === undefined ? '' : ', status ' + r.status_code;
    answer.append(make('div', 'role', 'assistant (finish_reason ' + r.finish_reason + status + ')'), longText('content', r.content));
    r.tool_calls.forEach(function (c) { answer.append(make('div', 'role', 'tool call ' + c.name), longText('arguments', c.arguments)); });
    section.append(answer);
    if (r.raw !== null && r.raw !== undefined) {
      var body = r.raw_refs ? restore(r.raw, r) : r.raw;
      var raw = typeof body === 'string' ? body : JSON.stringify(body, null, 1);
      section.append(collapsible('Raw response', longText('raw', raw), false));
    }
    return section;
  }

  function transcript(t, heading) {
    var box = make('article', 'transcript verdict-' + t.verdict.replace(' ', '-'));
    if (heading) box.append(make('p', 'side', heading));
    if (!t.title) { box.append(make('p', 'muted', t.missing || 'no result')); return box; }
    box.append(make('h4', null, t.title + (t.label ? ' (' + t.label + ')' : '')));
    var head = t.verdict + (t.mode ? ' (' + t.mode + ')' : '') + ', latency ' + seconds(t.latency_s) + (t.timeout_s ? ', budget ' + t.timeout_s + 's' : '');
    box.append(make('p', 'verdict', head));
    if (t.detail) box.append(longText('detail', t.detail));
    if (t.attempts.length) {
      var list = make('ul', 'attempts');
      t.attempts.forEach(function (a) { list.append(make('li', null, 'attempt ' + a.number + ': ' + a.mode + ' after ' + seconds(a.elapsed_s) + ': ' + a.detail)); });
      box.append(collapsible('Failed attempts (' + t.attempts.length + ')', list, false));
    }
    t.turns.forEach(function (x, i) { box.append(turn(x, i + 1, t.turns.length)); });
    if (t.checks.length) {
      box.append(make('h5', null, 'Checks'));
      var checks = make('ul', 'checks');
      t.checks.forEach(function (c) {
        var item = make('li', c.ok ? 'ok' : 'failed');
        item.append(make('span', 'mark', c.ok ? 'ok ' : 'FAILED '), make('span', 'check-name', c.name));
        if (c.detail) item.append(document.createTextNode(': '), make('span', 'check-detail', c.detail));
        checks.append(item);
      });
      box.append(checks);
    }
    if (t.artifacts.length) {
      box.append(make('h5', null, "What the verifier kept (the sandbox's output)"));
      t.artifacts.forEach(function (a) {
        if (a.block) { box.append(make('div', 'role', a.name), longText('artifact', a.text)); }
        else { box.append(make('p', 'artifact', a.name + ': ' + a.text)); }
      });
    }
    return box;
  }

  // Every string of a transcript, lower-cased once, for the text search.
  var haystacks = {};
  function strings(value, out) {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) value.forEach(function (v) { strings(v, out); });
    else if (value && typeof value === 'object') Object.keys(value).forEach(function (k) { strings(value[k], out); });
    return out;
  }
  function haystack(index) {
    if (!(index in haystacks)) haystacks[index] = strings(transcripts()[index], []).join('\n').toLowerCase();
    return haystacks[index];
  }

  function Table(form, spec) {
    var table = document.getElementById(form.getAttribute('data-table'));
    var body = table.tBodies[0];
    var more = document.querySelector('button[data-more="' + table.id + '"]');
    var count = form.querySelector('[data-count]');
    var search = form.querySelector('[data-search]');
    var rows = spec.rows;
    var sides = spec.sides || null;
    var matching = rows;
    var drawn = 0;

    function cellText(r) {
      if (r._text === undefined) r._text = r.c.join('\n').toLowerCase();
      return r._text;
    }

    function wanted() {
      var want = {};
      form.querySelectorAll('select[data-facet]').forEach(function (s) { if (s.value) want[s.getAttribute('data-facet')] = s.value; });
      return want;
    }

    function keeps(r, want, query) {
      for (var k in want) {
        var v = r.f[k];
        if (Array.isArray(v) ? v.indexOf(want[k]) < 0 : v !== want[k]) return false;
      }
      if (!query) return true;
      if (cellText(r).indexOf(query) >= 0) return true;
      for (var i = 0; i < r.t.length; i++) if (r.t[i] !== null && haystack(r.t[i]).indexOf(query) >= 0) return true;
      return false;
    }

    function draw(r) {
      var tr = make('tr', 'verdict-' + String(r.f.verdict || r.f.change || '').replace(' ', '-'));
      r.c.forEach(function (text, i) {
        var td = make(i === 0 ? 'th' : 'td');
        if (i === 0) td.scope = 'row';
        if (i === 0 && r.t.length) {
          var open = make('button', 'open', text);
          open.type = 'button';
          open.setAttribute('aria-expanded', 'false');
          open.addEventListener('click', function () { whenRead(function () { toggle(tr, open, r); }); });
          td.append(open);
        } else if (i === 0 && r.h && r.h.indexOf(':') < 0) {
          var link = make('a', null, text);
          link.setAttribute('href', r.h);  // a relative path quoted by benchlab: never a scheme
          td.append(link);
        } else {
          td.textContent = text;
        }
        tr.append(td);
      });
      return tr;
    }

    function toggle(tr, button, r) {
      var open = button.getAttribute('aria-expanded') === 'true';
      if (open) {
        if (tr.nextSibling && tr.nextSibling.classList.contains('transcript-row')) tr.nextSibling.remove();
        button.setAttribute('aria-expanded', 'false');
        return;
      }
      var row = make('tr', 'transcript-row');
      var cell = make('td');
      cell.colSpan = r.c.length;
      var grid = make('div', spec.stacked ? 'sides stacked' : 'sides sides-' + r.t.length);  // a ladder's attempts: one under another
      var all = transcripts();
      r.t.forEach(function (index, i) {
        var t = index === null ? { verdict: 'none', missing: 'not in this run' } : all[index];
        grid.append(transcript(t, sides ? sides[i] : null));
      });
      cell.append(grid);
      row.append(cell);
      tr.after(row);
      button.setAttribute('aria-expanded', 'true');
    }

    function drawMore() {
      var end = Math.min(drawn + PAGE, matching.length);
      var batch = document.createDocumentFragment();
      for (var i = drawn; i < end; i++) batch.append(draw(matching[i]));
      body.append(batch);
      drawn = end;
      more.hidden = drawn >= matching.length;
      more.textContent = 'Show more (' + (matching.length - drawn).toLocaleString('en') + ' left)';
    }

    function hideOutside(want) {
      // Charts and legends outside the table follow the same facets (index page: model, pack).
      Object.keys(spec.linked || {}).forEach(function (k) {
        document.querySelectorAll('[data-' + k + ']').forEach(function (node) {
          if (node.closest('form')) return;
          node.classList.toggle('off', !!want[k] && node.getAttribute('data-' + k) !== want[k]);
        });
      });
    }

    function apply() {
      var want = wanted();
      var query = search.value.trim().toLowerCase();
      matching = [];
      for (var i = 0; i < rows.length; i++) if (keeps(rows[i], want, query)) matching.push(rows[i]);
      body.replaceChildren();
      drawn = 0;
      drawMore();
      count.textContent = matching.length.toLocaleString('en') + ' of ' + rows.length.toLocaleString('en') + ' shown';
      hideOutside(want);
    }

    function applyWhenRead() {
      if (search.value.trim()) whenRead(apply);  // a text search reads the transcripts
      else apply();
    }

    var timer = null;
    form.addEventListener('change', applyWhenRead);
    search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(applyWhenRead, 150); });
    form.addEventListener('submit', function (event) { event.preventDefault(); clearTimeout(timer); applyWhenRead(); });
    more.addEventListener('click', drawMore);
    // Paper has no "Show more": every matching row is drawn before the page is printed.
    window.addEventListener('beforeprint', function () { while (drawn < matching.length) drawMore(); });
    if ('IntersectionObserver' in window) {
      new IntersectionObserver(function (seen) { if (seen[0].isIntersecting && !more.hidden) drawMore(); }, { rootMargin: '400px' }).observe(more);
    }
    apply();
    return { apply: apply, count: function () { return matching.length; } };
  }

  var spec = block('rows');
  var form = document.querySelector('form.filters');
  if (spec && form) window.benchlabTable = Table(form, spec);
  // The overview and the first rows are on screen (benchmarks/html times navigation to this mark).
  performance.mark('benchlab-overview');
})();
