// The search page: lists the stories (window.digestStories, newest first) whose
// headline, lead, tags and outlets hold every word typed, case and accents ignored.
// Built with textContent only: a headline can never become markup here.
(function () {
  "use strict";
  var stories = window.digestStories || [];
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
    var found = stories.filter(function (story, i) {
      return words.every(function (word) { return haystacks[i].indexOf(word) !== -1; });
    });
    status.textContent = (found.length === 1 ? "1 story" : found.length + " stories") +
      (found.length > shown ? ", the newest " + shown + " shown" : "");
    found.slice(0, shown).forEach(function (story) {
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
