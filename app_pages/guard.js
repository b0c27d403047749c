// The tab's guard: see app_pages/guard.py for what each part is for.
const STORE = 'screening-recovery-token';
const FIELD = 'textarea, input[type="text"], input:not([type])';
const HOLD = '[data-testid="stDownloadButton"] button, a[data-testid="stTopNavLink"]';
const ANSWER = '[class*="st-key-answer__"] button[role="radio"]';
const TICK = '[class*="st-key-tick__"]';

function install() {
  const doc = document;
  const guard = {
    data: {}, lastCommit: -1e9, releasing: null, focusValue: new WeakMap(), lastInput: 0,
  };
  const app = () => doc.querySelector('[data-testid="stApp"]');
  const idle = () => {
    const a = app();
    return !a || a.getAttribute('data-test-script-state') === 'notRunning';
  };
  const isField = (el) => Boolean(el && el.matches && el.matches(FIELD));
  // When the page last ran (ms, performance clock), whatever started the run.
  guard.lastBusy = idle() ? -1e9 : performance.now();
  new MutationObserver(() => { if (!idle()) guard.lastBusy = performance.now(); }).observe(
    doc.body, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']},
  );

  // When the person last clicked, typed or scrolled (ms since the epoch): a view that moves
  // the page as it opens (the checklist's) does not once they have started on it.
  for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
    const note = () => { guard.lastInput = Date.now(); };
    doc.addEventListener(type, note, {capture: true, passive: true});
  }

  // The checklist's heading as it appears (Build, or a reload into the checklist): the page
  // moves to its top and focus to the heading before the frame is painted. The view's own
  // script (SCROLL_TO_TOP in checklist_view.py) does the same once its frame has loaded, which
  // is after the whole view has arrived (0.2 s later on the 2-core machine, while the heading
  // sat unseen above the screen); it then finds the page already there. Only as the heading
  // appears, never as the view reruns (a tick, a note): it stays on the page meanwhile.
  let headingShown = Boolean(doc.getElementById('discussion-checklist'));
  new MutationObserver(() => {
    const heading = doc.getElementById('discussion-checklist');
    if (heading && !headingShown) {
      const main = doc.querySelector('[data-testid="stMain"]');
      if (main) main.scrollTo(0, 0);
      window.scrollTo(0, 0);
      heading.setAttribute('tabindex', '-1');
      heading.focus({preventScroll: true});
    }
    headingShown = Boolean(heading);
  }).observe(doc.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['id']});

  doc.addEventListener('focusin', (e) => {
    if (isField(e.target)) guard.focusValue.set(e.target, e.target.value);
  }, true);
  doc.addEventListener('focusout', (e) => {
    if (isField(e.target) && guard.focusValue.get(e.target) !== e.target.value) {
      guard.lastCommit = performance.now();
    }
  }, true);

  // Esc closes a popover without the blur that hands a note over: blur first.
  doc.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isField(e.target)) e.target.blur();
  }, true);

  // A download or page link clicked while typed text is on its way, or while the page is
  // running: wait, then click again. An answer or tick clicked while the page is running waits:
  // sent at once, its run starts before the rest of the page has reached the browser, the
  // server drops that rest, and the questions below the click come back empty.
  const keyClass = (el) => {
    const keyed = el.closest('[class*="st-key-"]');
    const key = keyed && [...keyed.classList].find((c) => c.startsWith('st-key-'));
    return key ? `.${CSS.escape(key)}` : null;
  };
  const findAgain = (el) => {
    if (el.matches('a[href]')) {
      const href = el.getAttribute('href');
      return () => doc.querySelector(`a[data-testid="stTopNavLink"][href="${href}"]`);
    }
    const key = keyClass(el);
    if (!key) return () => null;
    const kind = `${key} ${el.tagName.toLowerCase()}`;  // an answer's buttons, a tick's box
    const nth = [...doc.querySelectorAll(kind)].indexOf(el);
    return () => doc.querySelectorAll(kind)[Math.max(nth, 0)] || null;
  };
  const waiting = new Set();
  // An open popover (a note's) closes on the click let go, and its closing reruns the page:
  // a download clicked then asks for the file its button offered before that run, which the
  // run withdraws (Streamlit renews a download's file with each run), and no file comes. So a
  // held download or link first closes any open popover it is not in (as Esc does), waits
  // until quiet again, and only then is clicked.
  const popoverOpen = (el) => {
    const body = doc.querySelector('[data-testid="stPopoverBody"]');
    return Boolean(body && !body.contains(el));
  };
  const closePopover = () => {
    doc.activeElement?.blur?.();
    doc.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', code: 'Escape', bubbles: true}));
  };
  const clickWhenQuiet = (target, done = () => {}) => {
    const found = findAgain(target);
    const started = performance.now();
    let idleSince = idle() ? started : Infinity;
    let closing = 0;
    const settle = () => {
      const now = performance.now();
      if (!idle()) {
        idleSince = Infinity;
      } else if (idleSince === Infinity) {
        idleSince = now;
      }
      // Idle for a moment, not between two runs: a popover closed by the same click starts a
      // run of its own just after the text's run, and a click let go between them was lost.
      const settled = now - idleSince > 250;
      // Text handed over starts a run: wait until one has been seen since (a busy server may
      // start it seconds later), or give up waiting after 5 s.
      const ran = guard.lastBusy > guard.lastCommit || now - started > 5000;
      const quiet = settled && now - guard.lastCommit > 300 && ran;
      if (!quiet && now - started < 60000) { setTimeout(settle, 50); return; }
      const again = found() || target;
      if (target.matches(HOLD) && popoverOpen(again) && closing < 3 && now - started < 60000) {
        closing += 1;
        closePopover();
        idleSince = Infinity;
        setTimeout(settle, 50);
        return;
      }
      done();
      if (!again.isConnected) return;
      guard.releasing = again;
      try { again.click(); } finally { guard.releasing = null; }
    };
    setTimeout(settle, 50);
  };
  const hold = (e) => { e.preventDefault(); e.stopImmediatePropagation(); };
  const closest = (e, selector) => (e.target && e.target.closest ? e.target.closest(selector) : null);
  // An answer is taken from the press that starts it (its button acts on the pointer events
  // before the click), so a held answer swallows the whole press, and is clicked once quiet.
  let swallowing = null;
  doc.addEventListener('pointerdown', (e) => {
    const answer = closest(e, ANSWER);
    if (!answer || answer === guard.releasing || idle()) return;
    hold(e);
    swallowing = answer;
    clickWhenQuiet(answer);
  }, true);
  for (const type of ['pointerup', 'mousedown', 'mouseup']) {
    doc.addEventListener(type, (e) => {
      if (swallowing && swallowing.contains(e.target)) hold(e);
    }, true);
  }
  doc.addEventListener('click', (e) => {
    if (swallowing && swallowing.contains(e.target)) {
      swallowing = null;
      hold(e);
      return;
    }
    // A tick clicked while the page is running: the same as an answer (its box is native,
    // so holding its click is enough).
    const tick = closest(e, TICK);
    if (tick) {
      const box = tick.querySelector('input[type="checkbox"]');
      if (!box || box === guard.releasing || idle()) return;
      hold(e);
      if (waiting.has(box)) return;  // one click can reach the box twice (its label's)
      waiting.add(box);
      clickWhenQuiet(box, () => waiting.delete(box));
      return;
    }
    const target = closest(e, HOLD);
    if (!target || target === guard.releasing) return;
    const recent = performance.now() - guard.lastCommit < 1500;
    if (idle() && !recent) return;
    hold(e);
    clickWhenQuiet(target);
  }, true);

  // A paste (or drop) longer than the room left: keep what fits, and say so.
  const limitOf = (el) => {
    const keyed = el.closest('[class*="st-key-"]');
    if (!keyed) return 0;
    for (const c of keyed.classList) {
      if (!c.startsWith('st-key-')) continue;
      const key = c.slice('st-key-'.length);
      for (const [prefix, limit] of Object.entries(guard.data.limits || {})) {
        if (key.startsWith(prefix)) return limit;
      }
    }
    return 0;
  };
  const noteFor = (el) => {
    const field = '[data-testid="stTextArea"], [data-testid="stTextInput"]';
    const box = el.closest(field) || el.parentElement;
    let note = box.nextElementSibling;
    if (!note || !note.hasAttribute('data-paste-cut')) {
      note = doc.createElement('div');
      note.setAttribute('data-paste-cut', '');
      note.setAttribute('role', 'status');
      note.style.cssText = 'font-size: 0.875rem; margin-top: 0.25rem; color: #7d353b;';
      box.insertAdjacentElement('afterend', note);
    }
    return note;
  };
  doc.addEventListener('beforeinput', (e) => {
    const el = e.target;
    if (!isField(el) || !String(e.inputType).startsWith('insert')) return;
    const limit = limitOf(el);
    if (!limit) return;
    let text = e.data;
    if (text == null && e.dataTransfer) text = e.dataTransfer.getData('text/plain');
    if (text == null) return;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? start;
    const room = Math.max(0, limit - (el.value.length - (end - start)));
    if (text.length <= room) return;
    e.preventDefault();
    const kept = text.slice(0, room);
    const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    const setter = Object.getOwnPropertyDescriptor(proto, 'value').set;
    setter.call(el, el.value.slice(0, start) + kept + el.value.slice(end));
    el.setSelectionRange(start + kept.length, start + kept.length);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    noteFor(el).textContent = `Only the first ${kept.length} of the ${text.length} characters ` +
      `pasted were kept: this field holds at most ${limit} characters.`;
  }, true);

  // Each point's Why? and Note buttons are named by their point ("Why? — Verify …"), so a
  // screen reader's list of buttons is not 49 identical "Why?"; a point to find out is named
  // by its question too, and its tick says what ticking it means ("Find out: X? — If yes:
  // … — discussed"). Redone as the page redraws.
  const nameControls = () => {
    const setName = (el, name) => {
      if (el && el.getAttribute('aria-label') !== name) el.setAttribute('aria-label', name);
    };
    for (const row of doc.querySelectorAll('[class*="st-key-point_tick__"]')) {
      const label = row.querySelector('[data-testid="stCheckbox"] label');
      const point = label ? label.innerText.trim() : '';
      if (!point) continue;
      const group = row.closest('[class*="st-key-find_out__"]');
      const heading = group && group.querySelector('[data-testid="stMarkdownContainer"]');
      const question = heading ? heading.innerText.trim() : '';
      const named = question ? `${question} — ${point}` : point;
      const tick = row.querySelector('[data-testid="stCheckbox"] input');
      if (question) setName(tick, `${named} — discussed`);
      for (const button of row.querySelectorAll('[data-testid="stPopover"] button')) {
        setName(button, `${button.innerText.includes('Why?') ? 'Why? —' : 'Note on'} ${named}`);
      }
    }
  };
  // A question's help is not a tab stop of its own (one per question stood between every
  // two questions): "?" on a question moves to its help, which shows on focus, and Tab
  // from there goes on to the question's answers.
  const QUESTION = '[class*="st-key-answer__"]';
  const helpOf = (question) => question.querySelector('button[aria-label^="Help for"]');
  const quietHelp = () => {
    for (const question of doc.querySelectorAll(QUESTION)) {
      const help = helpOf(question);
      if (help && help.getAttribute('tabindex') !== '-1') help.setAttribute('tabindex', '-1');
    }
  };
  doc.addEventListener('keydown', (e) => {
    if (e.key !== '?' || isField(e.target) || !e.target.closest) return;
    const question = e.target.closest(QUESTION);
    const help = question && helpOf(question);
    if (!help) return;
    e.preventDefault();
    help.focus();
  }, true);

  let naming = null;
  new MutationObserver(() => {
    if (naming === null) {
      naming = setTimeout(() => { naming = null; nameControls(); quietHelp(); }, 100);
    }
  }).observe(doc.body, {childList: true, subtree: true});

  // Text typed and not yet sent by its field (no Enter, no click away): after a pause in
  // typing, the guard sends it for the server's copy kept for a reload. Sent as the page goes
  // it would come too late: the server stops a session's run when its tab disconnects.
  const keyOf = (el) => {
    const keyed = el.closest('[class*="st-key-"]');
    const c = keyed && [...keyed.classList].find((name) => name.startsWith('st-key-'));
    return c ? c.slice('st-key-'.length) : null;
  };
  let typing = null;
  const sendTyped = (el) => {
    clearTimeout(typing);
    typing = null;
    const key = keyOf(el);
    if (key && limitOf(el) && guard.send) guard.send(key, el.value);
  };
  doc.addEventListener('input', (e) => {
    const el = e.target;
    if (!isField(el) || !limitOf(el)) return;
    clearTimeout(typing);
    typing = setTimeout(() => sendTyped(el), 700);
  }, true);
  // The field sends its text itself as it loses focus, or on Enter (Ctrl+Enter in a text
  // area): then nothing is left to send, and a run of the guard's would only compete with it.
  const sentByField = () => { clearTimeout(typing); typing = null; };
  doc.addEventListener('focusout', (e) => { if (isField(e.target)) sentByField(); }, true);
  doc.addEventListener('keydown', (e) => {
    if (!isField(e.target) || e.key !== 'Enter') return;
    if (e.target.tagName !== 'TEXTAREA' || e.ctrlKey || e.metaKey) sentByField();
  }, true);
  const unsent = () => {
    const el = doc.activeElement;
    return isField(el) && guard.focusValue.has(el) && guard.focusValue.get(el) !== el.value
      ? el : null;
  };

  // Leaving the page while the form holds work, or text not yet sent: the browser asks first.
  window.addEventListener('beforeunload', (e) => {
    const el = unsent();
    if (el && typing !== null) sendTyped(el);
    if (guard.data.unsaved || el) { e.preventDefault(); e.returnValue = ''; }
  });
  guard.idle = idle;
  return guard;
}

export default function (component) {
  const {data, setTriggerValue} = component;
  window.__screeningGuard = window.__screeningGuard || install();
  window.__screeningGuard.data = data || {};
  window.__screeningGuard.send = data && data.token
    ? (key, text) => setTriggerValue('typed', {key, text})
    : null;
  if (!data) return;
  const guard = window.__screeningGuard;
  guard.answer = () => setTriggerValue('resume', sessionStorage.getItem(STORE) || '');
  if (data.token) {
    sessionStorage.setItem(STORE, data.token);
    clearInterval(guard.asking);
  } else if (data.ask && guard.asked !== data.ask) {
    // Once per session (a tab that reconnects to a new session is asked again): the server
    // draws no page until it has the answer. Should that answer be lost on its way, the
    // server sits idle still asking: answer again then (never while it runs, which would
    // interrupt the run).
    guard.asked = data.ask;
    guard.answer();
    clearInterval(guard.asking);
    guard.asking = setInterval(() => {
      if (guard.data.ask !== data.ask) clearInterval(guard.asking);
      else if (guard.idle()) guard.answer();
    }, 3000);
  }
}
