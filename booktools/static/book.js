/* The book's own script: the English / 한국어 / both / side-by-side switch,
 * the light / dark / auto switch, keyboard shortcuts and copy buttons. It
 * replaces d2lbook's d2l.js, which loaded analytics and a remote icon. Loaded in <head>, so the
 * chosen language and colours apply before the page paints. */
(function () {
  'use strict';
  var KEY = 'book-lang';
  // 'side' is 'both' laid out in two columns where the window is wide
  // enough (book.css); everything else treats it as 'both'.
  var MODES = ['en', 'ko', 'both', 'side'];
  var THEME_KEY = 'book-theme';
  var THEMES = ['auto', 'light', 'dark'];

  // localStorage can throw (privacy settings); then a choice lasts a page.
  function stored(key, values) {
    try {
      var value = window.localStorage.getItem(key);
      return values.indexOf(value) >= 0 ? value : null;
    } catch (e) { return null; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* see stored */ }
  }

  // Until the reader picks a language, the browser's first language decides:
  // Korean -> 한국어, English -> English, anything else -> both.
  function browserMode() {
    var langs = navigator.languages && navigator.languages.length ?
      navigator.languages : [navigator.language || ''];
    var first = String(langs[0] || '').toLowerCase();
    if (first.indexOf('ko') === 0) return 'ko';
    if (first.indexOf('en') === 0) return 'en';
    return 'both';
  }
  function load() { return stored(KEY, MODES) || browserMode(); }

  // book.css hides [lang] elements of the other language by data-lang.
  function apply(mode) {
    var root = document.documentElement;
    root.setAttribute('data-lang', mode);
    root.lang = mode === 'ko' ? 'ko' : 'en';
    var title = document.querySelector('title');
    var shown = mode === 'side' ? 'both' : mode;
    if (title && title.getAttribute('data-' + shown)) {
      document.title = title.getAttribute('data-' + shown);
    }
    var buttons = document.querySelectorAll('[data-lang-mode]');
    for (var i = 0; i < buttons.length; i++) {
      var on = buttons[i].getAttribute('data-lang-mode') === mode;
      buttons[i].setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    labelThemeSwitch();
    labelPlaceholders(mode);
  }

  // --- search in the reader's language (issue 17) ------------------------
  // booktools.site gives each placeholder its English and Korean words.
  function labelPlaceholders(mode) {
    var fields = document.querySelectorAll('input[data-placeholder-ko]');
    for (var i = 0; i < fields.length; i++) {
      var en = fields[i].getAttribute('data-placeholder-en');
      var ko = fields[i].getAttribute('data-placeholder-ko');
      fields[i].placeholder = mode === 'en' ? en : mode === 'ko' ? ko :
        en + ' / ' + ko;
    }
  }
  // What Sphinx's searchtools.js writes while and after it searches, as
  // plain text: each is replaced by an English and a Korean <span>, which
  // book.css shows by the language switch like every other text.
  var SEARCH_WORDS = [
    [/^Searching$/, function () { return ['Searching', '검색 중']; }],
    [/^Preparing search\.\.\.$/, function () {
      return ['Preparing search...', '검색을 준비하는 중...']; }],
    [/^Search Results$/, function () { return ['Search Results', '검색 결과']; }],
    [/^Search finished, found (\d+) page\(s\) matching the search query\.$/,
      function (m) {
        return [m[0], '검색을 마쳤습니다. 검색어와 맞는 페이지를 ' + m[1] +
          '개 찾았습니다.'];
      }],
    [/^Your search did not match any documents\./, function (m) {
      return [m.input, '검색어와 맞는 페이지가 없습니다. 모든 단어의 철자가 ' +
        '맞는지 확인하세요.'];
    }]
  ];
  // `en / ko` as the three spans the language switch shows or hides.
  function bilingual(enText, koText) {
    var en = document.createElement('span');
    var sep = document.createElement('span');
    var ko = document.createElement('span');
    en.lang = 'en'; en.textContent = enText;
    sep.className = 'lang-sep'; sep.textContent = ' / ';
    ko.lang = 'ko'; ko.textContent = koText;
    return [en, sep, ko];
  }

  function translateSearch(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var found = [];
    while (walker.nextNode()) found.push(walker.currentNode);
    found.forEach(function (node) {
      var parent = node.parentNode;
      if (!parent || parent.closest('span[lang], .lang-sep')) return;
      var text = node.data.trim();
      for (var i = 0; i < SEARCH_WORDS.length; i++) {
        var m = SEARCH_WORDS[i][0].exec(text);
        if (!m) continue;
        var words = SEARCH_WORDS[i][1](m);
        node.replaceWith.apply(node, bilingual(words[0], words[1]));
        return;
      }
    });
  }
  function watchSearch() {
    ['search-results', 'search-progress'].forEach(function (id) {
      var box = document.getElementById(id);
      if (!box || !window.MutationObserver) return;
      new MutationObserver(function () { translateSearch(box); }).observe(
        box, { childList: true, subtree: true, characterData: true });
      translateSearch(box);
    });
  }

  // --- colour scheme: auto follows prefers-color-scheme ------------------
  var dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)')
    : { matches: false };
  // [English, Korean state, icon, Korean "switch to" phrase]
  var THEME_WORDS = {
    auto: ['auto (as the system)', '자동(시스템 설정)', 'brightness_auto',
           '자동(시스템 설정)으로'],
    light: ['light', '밝은 화면', 'brightness_7', '밝은 화면으로'],
    dark: ['dark', '어두운 화면', 'brightness_2', '어두운 화면으로']
  };
  function theme() { return stored(THEME_KEY, THEMES) || 'auto'; }
  function nextTheme(choice) {
    return THEMES[(THEMES.indexOf(choice) + 1) % THEMES.length];
  }
  function applyTheme() {
    var choice = theme();
    var scheme = choice === 'auto' ? (dark.matches ? 'dark' : 'light') : choice;
    document.documentElement.setAttribute('data-theme', scheme);
    labelThemeSwitch();
  }
  function labelThemeSwitch() {
    var button = document.querySelector('[data-theme-switch]');
    if (!button) return;
    var choice = theme(), next = THEME_WORDS[nextTheme(choice)];
    var words = THEME_WORDS[choice];
    var en = 'Colours: ' + words[0] + '. Switch to ' + next[0];
    var ko = '화면 색: ' + words[1] + '. ' + next[3] + ' 바꾸기';
    var mode = document.documentElement.getAttribute('data-lang');
    var label = mode === 'en' ? en : mode === 'ko' ? ko : en + ' / ' + ko;
    button.setAttribute('aria-label', label);
    button.title = label;
    button.setAttribute('data-theme-choice', choice);
    var icon = button.querySelector('.material-icons');
    if (icon) icon.textContent = words[2];
  }
  if (dark.addEventListener) dark.addEventListener('change', applyTheme);
  else if (dark.addListener) dark.addListener(applyTheme);

  applyTheme();
  apply(load());
  document.addEventListener('click', function (event) {
    var target = event.target.closest ? event.target : null;
    var button = target && target.closest('[data-lang-mode]');
    if (button) {
      var mode = button.getAttribute('data-lang-mode');
      save(KEY, mode);
      apply(mode);
    }
    if (target && target.closest('[data-theme-switch]')) {
      save(THEME_KEY, nextTheme(theme()));
      applyTheme();
    }
  });
  // Another tab changed the language or the colours: follow it.
  window.addEventListener('storage', function (event) {
    if (event.key === KEY) apply(load());
    if (event.key === THEME_KEY) applyTheme();
  });

  // --- keyboard ----------------------------------------------------------
  // <- / -> open the previous / next page, `/` focuses search; never while
  // the reader types in a field or scrolls a focused code block sideways.
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' ||
      el.isContentEditable || el.classList.contains('book-scroll');
  }
  // The theme focuses <main> on load, so that the arrow keys scroll it; the
  // first Tab then goes to the skip link, as on a page that took no focus.
  var untouched = true;
  document.addEventListener('mousedown', function () { untouched = false; });
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Tab') return;
    var skip = document.querySelector('a.skip-link');
    var main = document.querySelector('main');
    if (untouched && !event.shiftKey && skip && main &&
        document.activeElement === main) {
      event.preventDefault();
      skip.focus();
    }
    untouched = false;
  });
  document.addEventListener('keydown', function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey ||
        event.metaKey || typing(document.activeElement)) return;
    var link = null;
    if (event.key === 'ArrowLeft' && !event.shiftKey) {
      link = document.getElementById('button-prev');
    } else if (event.key === 'ArrowRight' && !event.shiftKey) {
      link = document.getElementById('button-next');
    } else if (event.key === '/') {
      var search = document.getElementById('search-input') ||
        document.querySelector('header input[name="q"]');
      if (search) {
        event.preventDefault();
        search.focus();
      }
      return;
    }
    if (link && link.getAttribute('href')) {
      event.preventDefault();
      window.location.href = link.href;
    }
  });

  // On a narrow screen the table of contents is a drawer, off screen until
  // the menu button opens it; closed, its links must not take the focus.
  var narrow = window.matchMedia ? window.matchMedia('(max-width: 1024px)')
    : { matches: false };
  function syncDrawer() {
    var drawer = document.querySelector('.mdl-layout > .mdl-layout__drawer');
    if (!drawer) return;
    if (narrow.matches && !drawer.classList.contains('is-visible')) {
      drawer.setAttribute('inert', '');
    } else {
      drawer.removeAttribute('inert');
    }
  }
  function watchDrawer() {
    var drawer = document.querySelector('.mdl-layout > .mdl-layout__drawer');
    if (!drawer || !window.MutationObserver) return;
    new MutationObserver(syncDrawer).observe(drawer, {
      attributes: true, attributeFilter: ['class'] });
    syncDrawer();
  }
  if (narrow.addEventListener) narrow.addEventListener('change', syncDrawer);
  window.addEventListener('load', watchDrawer);

  // A code block, table or formula wider than the page scrolls sideways;
  // it takes the focus then, so that a keyboard can scroll it too. Sizes
  // are known only once the theme shows the page (its body starts hidden)
  // and MathJax has typeset: a ResizeObserver sees every change.
  var SCROLLERS = '.page-content pre, .page-content table, ' +
    '.page-content mjx-container[display="true"]';
  function markScrollable(box) {
    var wide = box.scrollWidth > box.clientWidth + 1;
    if (wide && !box.hasAttribute('tabindex')) {
      box.setAttribute('tabindex', '0');
      box.classList.add('book-scroll');
    } else if (!wide && box.classList.contains('book-scroll')) {
      box.removeAttribute('tabindex');
      box.classList.remove('book-scroll');
    }
  }
  var observed = [];
  var sizes = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { markScrollable(entry.target); });
  }) : null;
  function watchScrollable() {
    var boxes = document.querySelectorAll(SCROLLERS);
    Array.prototype.forEach.call(boxes, function (box) {
      if (observed.indexOf(box) >= 0) return;
      observed.push(box);
      if (sizes) sizes.observe(box);
      markScrollable(box);
    });
  }
  window.addEventListener('resize', function () {
    observed.forEach(markScrollable);
  });
  window.addEventListener('load', function () {
    watchScrollable();
    setUpQuizzes();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(watchScrollable);
    }
  });

  // Search results are written by searchtools.js, after booktools.site ran:
  // split their "English / 한국어" titles here the same way.
  var HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/;
  function splitTitle(link) {
    if (link.querySelector('[lang]')) return;
    var texts = Array.prototype.filter.call(link.childNodes, function (n) {
      return n.nodeType === Node.TEXT_NODE && n.data.indexOf(' / ') >= 0;
    });
    var parts = texts.length === 1 ? texts[0].data.split(' / ') : [];
    if (parts.length !== 2 || HANGUL.test(parts[0]) || !HANGUL.test(parts[1])) return;
    texts[0].replaceWith.apply(texts[0], bilingual(parts[0], parts[1]));
  }

  // --- copy buttons ------------------------------------------------------
  // Ours, not sphinx-copybutton (0.5.2 does install on Sphinx 5.3, and its
  // icons are inline): it takes the button's words from <html lang> and
  // has none in Korean, while a page here is read in English, Korean or
  // both and so names the button in both ("Copy / 복사"); its button has no
  // accessible name of its own (only a tooltip attribute); and it adds
  // clipboard.js (9 kB) for what navigator.clipboard and the fallback below
  // do in 40 lines.
  var COPY_ICON = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">' +
    '<rect x="8" y="8" width="12" height="13" rx="2" fill="none" stroke="currentColor" stroke-width="2"/>' +
    '<path d="M16 8V5a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h2" fill="none" stroke="currentColor" stroke-width="2"/></svg>';
  var DONE_ICON = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">' +
    '<path d="M4 12l5 5L20 6" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>';
  var PROMPT = /^(>>> |\.\.\. |\$ )/;

  // The cell's code alone. Notebook cells have no prompts; a pasted console
  // session does, and then only its prompted lines are code.
  function codeOf(pre) {
    var lines = pre.textContent.replace(/\n+$/, '').split('\n');
    if (lines.some(function (l) { return /^(>>> |\$ )/.test(l); })) {
      lines = lines.filter(function (l) { return PROMPT.test(l); })
        .map(function (l) { return l.replace(PROMPT, ''); });
    }
    return lines.join('\n');
  }

  // navigator.clipboard needs a secure context (https, localhost, file://);
  // a plain-http address elsewhere falls back to the old copy command.
  function legacyCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand('copy');
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error('copy refused'));
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return legacyCopy(text);
      });
    }
    return legacyCopy(text);
  }

  function addCopyButtons() {
    // Input cells only: outputs are div.output and are not code to run.
    var cells = document.querySelectorAll(
      'div[class*="highlight-"]:not(.output) > div.highlight > pre');
    Array.prototype.forEach.call(cells, function (pre) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'copybtn';
      button.title = 'Copy / 복사';
      button.setAttribute('aria-label', 'Copy code / 코드 복사');
      button.innerHTML = COPY_ICON;
      button.addEventListener('click', function () {
        copy(codeOf(pre)).then(function () {
          button.innerHTML = DONE_ICON;
          button.classList.add('copied');
          setTimeout(function () {
            button.innerHTML = COPY_ICON;
            button.classList.remove('copied');
          }, 1500);
        }, function () { button.title = 'Copy failed / 복사 실패'; });
      });
      pre.parentNode.appendChild(button);
    });
  }

  // --- self-check questions (booktools/quiz.py renders them) ---------------
  // Each .quiz holds a radio group of buttons. Choosing one (click, Enter or
  // Space; arrow keys move and choose) marks it aria-checked and shows its
  // explanation in the question's aria-live region, so screen readers read
  // it. Only one option is in the tab order at a time (roving tabindex).
  function choose(options, chosen) {
    options.forEach(function (option) {
      var on = option === chosen;
      option.setAttribute('aria-checked', on ? 'true' : 'false');
      option.tabIndex = on ? 0 : -1;
      var explain = document.getElementById(option.getAttribute('data-explain'));
      if (explain) explain.hidden = !on;
    });
    chosen.closest('.quiz').classList.add('quiz-answered');
  }

  function setUpQuizzes() {
    document.querySelectorAll('.quiz').forEach(function (quiz) {
      var options = Array.prototype.slice.call(
        quiz.querySelectorAll('.quiz-option'));
      options.forEach(function (option, i) {
        option.tabIndex = i === 0 ? 0 : -1;
        option.addEventListener('click', function () { choose(options, option); });
        option.addEventListener('keydown', function (event) {
          var step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
          if (!step) return;
          event.preventDefault();
          var next = options[(i + step + options.length) % options.length];
          next.focus();
          choose(options, next);
        });
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    apply(load());  // the switches exist now
    applyTheme();
    addCopyButtons();
    watchScrollable();
    watchSearch();
    var results = document.getElementById('search-results');
    if (results) {
      new MutationObserver(function () {
        var links = results.querySelectorAll('li > a');
        Array.prototype.forEach.call(links, splitTitle);
      }).observe(results, { childList: true, subtree: true });
    }
  });
})();
