// Client-side search of the clause library: titles, ids, defined terms and text.
// The index is window.PROCUREGEN_SEARCH (assets/search-index.js), loaded with <script>
// because pages opened from file:// cannot fetch JSON. Results are built with DOM calls
// and textContent only: no text from the library is ever parsed as HTML.
(function () {
  "use strict";
  var data = window.PROCUREGEN_SEARCH;
  var input = document.getElementById("search");
  var list = document.getElementById("search-results");
  if (!data || !input || !list) {
    return;
  }
  var root = document.body.getAttribute("data-root") || "";
  var LIMIT = 20;

  function fold(text) {
    return String(text).toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  var entries = data.clauses.map(function (c) {
    return {
      clause: c,
      id: fold(c.id),
      title: fold([c.title].concat(c.titles).join(" ")),
      defines: c.defines.map(fold),
      uses: c.uses.map(fold),
      text: fold(c.text)
    };
  });

  function score(entry, query) {
    var best = 0;
    var why = "";
    entry.defines.forEach(function (term, i) {
      if (term === query && best < 100) {
        best = 100;
        why = "defines \u201c" + entry.clause.defines[i] + "\u201d";
      } else if (term.indexOf(query) >= 0 && best < 60) {
        best = 60;
        why = "defines \u201c" + entry.clause.defines[i] + "\u201d";
      }
    });
    if (best < 50 && entry.title.indexOf(query) >= 0) {
      best = entry.title === query ? 55 : 50;
      why = "title";
    }
    if (best < 40 && entry.id.indexOf(query) >= 0) {
      best = 40;
      why = "id " + entry.clause.id;
    }
    if (best < 20) {
      entry.uses.forEach(function (term, i) {
        if (term === query && best < 20) {
          best = 20;
          why = "uses \u201c" + entry.clause.uses[i] + "\u201d";
        }
      });
    }
    if (best < 10 && entry.text.indexOf(query) >= 0) {
      best = 10;
      why = "text";
    }
    return { score: best, why: why };
  }

  function show(query) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    var q = fold(query).trim();
    if (!q) {
      return;
    }
    var found = [];
    entries.forEach(function (entry, order) {
      var s = score(entry, q);
      if (s.score > 0) {
        found.push({ entry: entry, score: s.score, why: s.why, order: order });
      }
    });
    found.sort(function (a, b) {
      return b.score - a.score || a.order - b.order;
    });
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "No clause matches.";
      list.appendChild(none);
      return;
    }
    found.slice(0, LIMIT).forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + hit.entry.clause.url;
      link.className = "result";
      link.textContent = hit.entry.clause.title;
      var why = document.createElement("span");
      why.className = "why";
      why.textContent =
        hit.entry.clause.section + " \u00b7 " + hit.entry.clause.id + " \u00b7 " + hit.why;
      item.appendChild(link);
      item.appendChild(why);
      list.appendChild(item);
    });
  }

  input.addEventListener("input", function () {
    show(input.value);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = list.querySelector("a.result");
      if (first) {
        window.location.href = first.href;
      }
    } else if (event.key === "Escape") {
      input.value = "";
      show("");
    }
  });
})();
