/* The book's own script: the English / 한국어 / both switch and copy buttons.
 * It replaces d2lbook's d2l.js, which loaded analytics and a remote icon.
 * Loaded in <head>, so the chosen language applies before the page paints. */
(function () {
  'use strict';
  var KEY = 'book-lang';
  var MODES = ['en', 'ko', 'both'];

  // localStorage can throw (privacy settings); then the choice lasts a page.
  function load() {
    try {
      var mode = window.localStorage.getItem(KEY);
      return MODES.indexOf(mode) >= 0 ? mode : 'both';
    } catch (e) { return 'both'; }
  }
  function save(mode) {
    try { window.localStorage.setItem(KEY, mode); } catch (e) { /* see load */ }
  }

  // book.css hides [lang] elements of the other language by data-lang.
  function apply(mode) {
    var root = document.documentElement;
    root.setAttribute('data-lang', mode);
    root.lang = mode === 'ko' ? 'ko' : 'en';
    var title = document.querySelector('title');
    if (title && title.getAttribute('data-' + mode)) {
      document.title = title.getAttribute('data-' + mode);
    }
    var buttons = document.querySelectorAll('[data-lang-mode]');
    for (var i = 0; i < buttons.length; i++) {
      var on = buttons[i].getAttribute('data-lang-mode') === mode;
      buttons[i].setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  apply(load());
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-lang-mode]');
    if (!button) return;
    var mode = button.getAttribute('data-lang-mode');
    save(mode);
    apply(mode);
  });
  // Another tab changed the language: follow it.
  window.addEventListener('storage', function (event) {
    if (event.key === KEY) apply(load());
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
    var en = document.createElement('span');
    var sep = document.createElement('span');
    var ko = document.createElement('span');
    en.lang = 'en'; en.textContent = parts[0];
    sep.className = 'lang-sep'; sep.textContent = ' / ';
    ko.lang = 'ko'; ko.textContent = parts[1];
    texts[0].replaceWith(en, sep, ko);
  }

  // --- copy buttons ------------------------------------------------------
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

  document.addEventListener('DOMContentLoaded', function () {
    apply(load());  // the switch's buttons exist now
    addCopyButtons();
    var results = document.getElementById('search-results');
    if (results) {
      new MutationObserver(function () {
        var links = results.querySelectorAll('li > a');
        Array.prototype.forEach.call(links, splitTitle);
      }).observe(results, { childList: true, subtree: true });
    }
  });
})();
