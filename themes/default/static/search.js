// The search page: lists the stories (window.digestStories, newest first) whose
// headline, lead, tags, outlets and summary (window.digestText, by page address)
// hold every word typed, case and accents ignored; under a story found by words of
// its summary, the sentence holding most of them. Built with textContent only: a
// headline or sentence can never become markup here.
(function () {
  "use strict";
  var stories = window.digestStories || [];
  var texts = window.digestText || {};
  var input = document.getElementById("search-query");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var root = list.getAttribute("data-root") || "";
  var shown = 100;

  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  var haystacks = stories.map(function (story) {
    return fold([story.title, story.lead, story.tags.join(" "), story.outlets.join(" ")].join(" "));
  });
  var sentences = stories.map(function (story) {
    return Object.prototype.hasOwnProperty.call(texts, story.url) ? texts[story.url] : [];
  });
  var folded = sentences.map(function (list) { return list.map(fold); });

  // Whether the story holds the word: in its card, else in a sentence of its summary.
  function holds(i, word) {
    return haystacks[i].indexOf(word) !== -1 ||
      folded[i].some(function (sentence) { return sentence.indexOf(word) !== -1; });
  }

  // The summary sentence holding most of the words its card lacks (the first of
  // those), or null when the card holds them all.
  function snippet(i, words) {
    var missing = words.filter(function (word) { return haystacks[i].indexOf(word) === -1; });
    var best = null, most = 0;
    folded[i].forEach(function (sentence, n) {
      var count = missing.filter(function (word) { return sentence.indexOf(word) !== -1; }).length;
      if (count > most) {
        best = sentences[i][n];
        most = count;
      }
    });
    return best;
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function show(query) {
    var words = fold(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    list.textContent = "";
    if (!words.length) {
      status.textContent = "";
      return;
    }
    var found = [];
    stories.forEach(function (story, i) {
      if (words.every(function (word) { return holds(i, word); })) found.push(i);
    });
    status.textContent = (found.length === 1 ? "1 story" : found.length + " stories") +
      (found.length > shown ? ", the newest " + shown + " shown" : "");
    found.slice(0, shown).forEach(function (i) {
      var story = stories[i];
      var item = element("li");
      var heading = element("h2");
      if (story.draft) {
        heading.appendChild(element("span", "Draft", "draft-flag"));
        heading.appendChild(document.createTextNode(" "));
      }
      var link = element("a", story.title);
      link.href = root + story.url;
      heading.appendChild(link);
      item.appendChild(heading);
      if (story.date_text) {
        var meta = element("p", "", "meta");
        var time = element("time", story.date_text);
        time.dateTime = story.date;
        meta.appendChild(time);
        item.appendChild(meta);
      }
      if (story.lead) item.appendChild(element("p", story.lead));
      var sentence = snippet(i, words);
      if (sentence && sentence !== story.lead) item.appendChild(element("p", sentence, "search-snippet"));
      list.appendChild(item);
    });
  }

  var asked = new URLSearchParams(window.location.search).get("q") || "";
  input.value = asked;
  show(asked);
  input.addEventListener("input", function () {
    show(input.value);
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    try {
      window.history.replaceState(null, "", url);  // a search that can be bookmarked
    } catch (refused) {
      // (a page opened from disk may not change its address)
    }
  });
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
  });
})();
