{#- Search text of some of the stories: each one's summary, sentence by sentence,
    by the address of its page. search.html loads every such file before
    static/search.js, which finds stories by these words too. -#}
Object.assign(window.digestText = window.digestText || {}, {{ texts | tojson }});
