/*
 * chat client: live updates for the server-rendered pages.
 *
 * Everything works without this script (plain forms and links). When it runs, it opens one
 * WebSocket to /ws, keeps the contact list, unread badges and tab title live, and on a thread
 * page upgrades the composer to instant sends through a persistent outbox (localStorage), with
 * "sending"/"failed" states, typing and read receipts, and infinite scroll for older messages.
 *
 * Page state comes from data-* attributes on <body>: user, csrf, thread-id, peer, last-id,
 * peer-read-up-to. User text is only ever inserted with textContent.
 */
(function () {
  'use strict';

  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const CLOSE_POLICY = 1008;
  const TYPING_SEND_EVERY_MS = 2000;
  const TYPING_SHOW_MS = 3000;
  const RATE_LIMIT_RETRY_MS = 2000;
  const OLDER_PAGE_SIZE = 50;
  const NEAR_EDGE_PX = 60;

  const body = document.body;
  const data = body.dataset;
  const ME = data.user || null;
  const THREAD_ID = data.threadId ? toInt(data.threadId) : null;
  const PEER = data.peer || null;
  const INITIAL_LAST_ID = toInt(data.lastId);

  const els = {
    log: document.getElementById('log'),
    composer: document.getElementById('composer'),
    input: document.getElementById('composer-body'),
    typing: document.getElementById('typing'),
    contacts: document.getElementById('contacts'),
    contactsEmpty: document.getElementById('contacts-empty'),
    conn: Array.from(document.querySelectorAll('.conn-state')),
  };

  // A page showing an older slice of the thread (it has a "Newer messages" link) is not
  // live: new messages are not appended to it and the composer posts the plain form.
  const HISTORICAL = Boolean(els.log && els.log.querySelector('.paging.newer'));
  const LIVE_THREAD = Boolean(THREAD_ID && els.log && !HISTORICAL);

  const state = {
    lastId: INITIAL_LAST_ID,
    peerReadUpTo: toInt(data.peerReadUpTo),
    readSent: 0,
    socket: null,
    ready: false,
    stopped: false,
    backoff: BACKOFF_MIN_MS,
    reconnectTimer: 0,
    lastTypingSent: 0,
    typingTimer: 0,
    loadingOlder: false,
    totalUnread: 0,
    baseTitle: document.title,
    processed: new Set(),
    retries: new Map(),
  };

  /* ---------------- small helpers ---------------- */

  function toInt(value) {
    const n = Number.parseInt(value, 10);
    return Number.isFinite(n) ? n : 0;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so
  // ids sort by creation time and the server's idempotency index grows at its
  // end instead of taking a random page per message. Strictly increasing within
  // the page: a second id in the same millisecond takes the next one.
  let lastIdMillis = 0;
  function newClientId() {
    const millis = Math.max(Date.now(), lastIdMillis + 1);
    lastIdMillis = millis;
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    let rest = millis;
    for (let i = 5; i >= 0; i -= 1) {
      bytes[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join('-');
  }

  function isVisible() {
    return document.visibilityState === 'visible';
  }

  function isValidMessage(m) {
    return Boolean(m) && Number.isInteger(m.id) && Number.isInteger(m.thread) &&
      typeof m.sender === 'string' && typeof m.body === 'string' &&
      typeof m.sent_at === 'string';
  }

  function sameUser(a, b) {
    return typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
  }

  /* ---------------- local time ---------------- */

  function formatTime(date) {
    const now = new Date();
    const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    if (date.toDateString() === now.toDateString()) return time;
    const options = { month: 'short', day: 'numeric' };
    if (date.getFullYear() !== now.getFullYear()) options.year = 'numeric';
    return date.toLocaleDateString([], options) + ' ' + time;
  }

  function localizeTime(timeEl) {
    const date = new Date(timeEl.dateTime);
    if (Number.isNaN(date.getTime())) return;
    timeEl.textContent = formatTime(date);
    timeEl.title = date.toLocaleString();
  }

  function localizeAll(root) {
    root.querySelectorAll('time[datetime]').forEach(localizeTime);
  }

  /* ---------------- title and connection state ---------------- */

  function readTitle() {
    const match = /^\((\d+)\)\s+/.exec(document.title);
    state.totalUnread = match ? toInt(match[1]) : 0;
    state.baseTitle = document.title.replace(/^\(\d+\)\s+/, '');
  }

  function setTotalUnread(n) {
    state.totalUnread = Math.max(0, n);
    const prefix = state.totalUnread > 0 ? '(' + state.totalUnread + ') ' : '';
    document.title = prefix + state.baseTitle;
  }

  const CONN_TEXT = {
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    offline: 'Offline',
  };

  function setConn(kind, text) {
    els.conn.forEach((node) => {
      node.hidden = false;
      node.dataset.state = kind;
      node.textContent = text || CONN_TEXT[kind];
    });
  }

  function showBanner(text) {
    if (document.getElementById('banner')) return;
    const banner = el('p', 'banner', text + ' ');
    banner.id = 'banner';
    banner.setAttribute('role', 'status');
    const link = el('a', '', 'Reload');
    link.href = location.href;
    banner.append(link);
    const host = document.querySelector('.pane') || document.querySelector('main') || body;
    host.prepend(banner);
  }

  /* ---------------- outbox (localStorage) ---------------- */

  function outboxKey() {
    return 'chat.outbox.' + ME;
  }

  function loadOutbox() {
    try {
      const list = JSON.parse(window.localStorage.getItem(outboxKey()) || '[]');
      return Array.isArray(list) ? list.filter(isValidEntry) : [];
    } catch (err) {
      return [];
    }
  }

  function saveOutbox(list) {
    try {
      if (list.length === 0) window.localStorage.removeItem(outboxKey());
      else window.localStorage.setItem(outboxKey(), JSON.stringify(list));
    } catch (err) {
      // Storage full or disabled: the message still goes out while this page stays open.
    }
  }

  function isValidEntry(e) {
    return Boolean(e) && typeof e.client_id === 'string' && Number.isInteger(e.thread) &&
      typeof e.body === 'string';
  }

  function outboxAdd(entry) {
    const list = loadOutbox();
    list.push(entry);
    saveOutbox(list);
  }

  function outboxRemove(clientId) {
    const list = loadOutbox();
    const kept = list.filter((e) => e.client_id !== clientId);
    if (kept.length !== list.length) saveOutbox(kept);
  }

  function outboxFind(clientId) {
    return loadOutbox().find((e) => e.client_id === clientId) || null;
  }

  /* ---------------- socket ---------------- */

  function connect() {
    window.clearTimeout(state.reconnectTimer);
    if (state.stopped || state.socket) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let socket;
    try {
      socket = new WebSocket(scheme + '//' + location.host + '/ws');
    } catch (err) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    state.ready = false;
    setConn(state.backoff > BACKOFF_MIN_MS ? 'reconnecting' : 'connecting');
    socket.addEventListener('message', (event) => onFrame(event.data));
    socket.addEventListener('close', (event) => onClose(socket, event));
  }

  function onClose(socket, event) {
    if (state.socket !== socket) return;
    state.socket = null;
    state.ready = false;
    if (state.stopped) return;
    if (event && event.code === CLOSE_POLICY) {
      onPolicyClose(event.reason || '');
      return;
    }
    scheduleReconnect();
  }

  // 1008: the session ended (logout, password change, expiry) or this tab was
  // one too many. Reconnecting blindly would loop; find out which it was.
  function onPolicyClose(reason) {
    if (reason === 'too many open connections') {
      state.stopped = true;
      setConn('offline', 'Paused');
      showBanner('Too many tabs are open; this one stopped updating. Reload it to resume.');
      return;
    }
    fetch('/api/session', { credentials: 'same-origin' })
      .then((res) => (res.ok ? res.json() : { user: ME }))
      .then((body) => {
        if (body && body.user === null) {
          state.stopped = true;
          location.assign('/login?next=' + encodeURIComponent(location.pathname));
        } else {
          scheduleReconnect();
        }
      })
      .catch(() => scheduleReconnect());
  }

  function scheduleReconnect() {
    if (state.stopped) return;
    const delay = state.backoff / 2 + Math.random() * (state.backoff / 2);
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    setConn(navigator.onLine === false ? 'offline' : 'reconnecting');
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = window.setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (state.socket || state.stopped) return;
    state.backoff = BACKOFF_MIN_MS;
    connect();
  }

  function send(frame) {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function sendEntry(entry) {
    return send({ type: 'send', thread: entry.thread, body: entry.body, client_id: entry.client_id });
  }

  function flushOutbox() {
    loadOutbox().forEach(sendEntry);
  }

  /* ---------------- incoming frames ---------------- */

  const HANDLERS = {
    hello: onHello,
    resumed: onResumed,
    message: onMessage,
    typing: onTyping,
    read: onRead,
    error: onError,
  };

  function onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (err) {
      return;
    }
    const handler = frame && HANDLERS[frame.type];
    if (handler) handler(frame);
  }

  function onHello(frame) {
    if (typeof frame.user === 'string' && !sameUser(frame.user, ME)) {
      // The session now belongs to someone else (login in another tab): stop being live.
      state.stopped = true;
      if (state.socket) state.socket.close();
      setConn('offline', 'Signed in elsewhere');
      showBanner('You are signed in as another user in another tab.');
      return;
    }
    state.backoff = BACKOFF_MIN_MS;
    send({ type: 'resume', after: state.lastId });
  }

  function onResumed(frame) {
    if (Number.isInteger(frame.last_id)) state.lastId = Math.max(state.lastId, frame.last_id);
    state.ready = true;
    setConn('connected');
    if (frame.truncated) showBanner('Some messages arrived while you were away.');
    flushOutbox();
    dropSettledPending();
    sendReadIfDue();
  }

  function onMessage(frame) {
    if (!isValidMessage(frame)) return;
    state.lastId = Math.max(state.lastId, frame.id);
    if (typeof frame.client_id === 'string') {
      outboxRemove(frame.client_id);
      state.retries.delete(frame.client_id);
    }
    const isNew = frame.id > INITIAL_LAST_ID && !state.processed.has(frame.id);
    state.processed.add(frame.id);
    if (LIVE_THREAD && frame.thread === THREAD_ID) showLiveMessage(frame);
    if (isNew) updateContactFor(frame);
    sendReadIfDue();
  }

  function onTyping(frame) {
    if (!els.typing || frame.thread !== THREAD_ID || sameUser(frame.user, ME)) return;
    if (typeof frame.user !== 'string') return;
    els.typing.textContent = frame.user + ' is typing…';
    window.clearTimeout(state.typingTimer);
    state.typingTimer = window.setTimeout(clearTyping, TYPING_SHOW_MS);
  }

  function clearTyping() {
    window.clearTimeout(state.typingTimer);
    if (els.typing) els.typing.textContent = '';
  }

  function onRead(frame) {
    if (!Number.isInteger(frame.thread) || !Number.isInteger(frame.up_to)) return;
    if (sameUser(frame.user, ME)) {
      // Read on another of my devices or tabs.
      clearThreadUnread(frame.thread);
    } else if (frame.thread === THREAD_ID) {
      state.peerReadUpTo = Math.max(state.peerReadUpTo, frame.up_to);
      updateSeen();
    }
  }

  function onError(frame) {
    const clientId = typeof frame.client_id === 'string' ? frame.client_id : null;
    if (!clientId) return;
    if (frame.code === 'rate_limited') {
      retryLater(clientId);
      return;
    }
    outboxRemove(clientId);
    state.retries.delete(clientId);
    markFailed(clientId, typeof frame.message === 'string' ? frame.message : '');
  }

  function retryLater(clientId) {
    const attempt = (state.retries.get(clientId) || 0) + 1;
    state.retries.set(clientId, attempt);
    setPendingStatus(clientId, 'Waiting to retry…');
    const delay = Math.min(RATE_LIMIT_RETRY_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
    window.setTimeout(() => {
      const entry = outboxFind(clientId);
      if (entry && state.ready && sendEntry(entry)) setPendingStatus(clientId, 'Sending…');
    }, delay);
  }

  /* ---------------- message log ---------------- */

  function isAtBottom() {
    const log = els.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_EDGE_PX;
  }

  function scrollToBottom() {
    els.log.scrollTop = els.log.scrollHeight;
  }

  function messageIds() {
    return Array.from(els.log.querySelectorAll('li.msg[data-id]'), (li) => toInt(li.dataset.id));
  }

  function findMessage(id) {
    return els.log.querySelector('li.msg[data-id="' + id + '"]');
  }

  function buildMeta(sender, sentAt) {
    const meta = el('p', 'meta');
    const time = document.createElement('time');
    time.dateTime = sentAt;
    localizeTime(time);
    meta.append(el('span', 'sender', sender), ' ', time);
    return meta;
  }

  function buildMessage(m) {
    const li = el('li', 'msg ' + (sameUser(m.sender, ME) ? 'own' : 'other'));
    li.dataset.id = String(m.id);
    li.append(buildMeta(m.sender, m.sent_at), el('p', 'body', m.body));
    return li;
  }

  // Confirmed messages stay sorted by id, after the "older" link and before pending bubbles.
  function insertionPoint(id) {
    const items = els.log.querySelectorAll('li.msg[data-id]');
    for (let i = items.length - 1; i >= 0; i -= 1) {
      if (toInt(items[i].dataset.id) < id) return items[i].nextElementSibling;
    }
    return els.log.querySelector('li.msg, li.paging.newer');
  }

  function insertMessage(m) {
    if (findMessage(m.id)) return false;
    els.log.insertBefore(buildMessage(m), insertionPoint(m.id));
    const empty = els.log.querySelector('.empty-log');
    if (empty) empty.remove();
    return true;
  }

  function showLiveMessage(m) {
    const wasAtBottom = isAtBottom();
    const hadPending = typeof m.client_id === 'string' && removePending(m.client_id);
    if (!insertMessage(m)) return;
    if (!sameUser(m.sender, ME)) clearTyping();
    updateSeen();
    if (wasAtBottom || hadPending) scrollToBottom();
  }

  function updateSeen() {
    if (!els.log) return;
    const own = els.log.querySelectorAll('li.msg.own[data-id]');
    const last = own[own.length - 1];
    let mark = document.getElementById('seen');
    if (!last || toInt(last.dataset.id) > state.peerReadUpTo) {
      if (mark) mark.remove();
      return;
    }
    if (!mark) {
      mark = el('p', 'seen', 'Seen');
      mark.id = 'seen';
    }
    if (mark.parentElement !== last) last.append(mark);
  }

  /* ---------------- pending bubbles ---------------- */

  function findPending(clientId) {
    if (!els.log) return null;
    const items = els.log.querySelectorAll('li.msg[data-client-id]');
    return Array.from(items).find((li) => li.dataset.clientId === clientId) || null;
  }

  function showPending(entry) {
    if (!LIVE_THREAD || entry.thread !== THREAD_ID || findPending(entry.client_id)) return;
    const li = el('li', 'msg own pending');
    li.dataset.clientId = entry.client_id;
    li.append(buildMeta(ME, entry.created || new Date().toISOString()),
      el('p', 'body', entry.body), el('p', 'status', 'Sending…'));
    els.log.append(li);
    const empty = els.log.querySelector('.empty-log');
    if (empty) empty.remove();
  }

  // A pending bubble whose entry has left the shared outbox was settled by another tab. If
  // it was stored, the resume just replayed it (replayed frames carry no client_id), so the
  // bubble would otherwise stay "Sending…" beside the real message for good.
  function dropSettledPending() {
    if (!els.log) return;
    const waiting = new Set(loadOutbox().map((e) => e.client_id));
    els.log.querySelectorAll('li.msg.pending[data-client-id]').forEach((li) => {
      if (!waiting.has(li.dataset.clientId)) li.remove();
    });
  }

  function removePending(clientId) {
    const li = findPending(clientId);
    if (li) li.remove();
    return Boolean(li);
  }

  function setPendingStatus(clientId, text) {
    const li = findPending(clientId);
    const status = li && li.querySelector('.status');
    if (status) status.textContent = text;
  }

  function markFailed(clientId, message) {
    const li = findPending(clientId);
    if (!li) return;
    li.classList.remove('pending');
    li.classList.add('failed');
    const status = li.querySelector('.status');
    if (status) status.textContent = 'Not sent' + (message ? ': ' + message : '');
  }

  /* ---------------- composer ---------------- */

  function submitComposer() {
    const text = els.input.value.trim();
    if (!text) return;
    const entry = {
      client_id: newClientId(),
      thread: THREAD_ID,
      body: text,
      created: new Date().toISOString(),
    };
    outboxAdd(entry);
    showPending(entry);
    els.input.value = '';
    autosize();
    const error = document.getElementById('composer-error');
    if (error) error.remove();
    els.input.removeAttribute('aria-invalid');
    els.input.removeAttribute('aria-describedby');
    scrollToBottom();
    if (state.ready) sendEntry(entry);
  }

  function onComposerKey(event) {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    submitComposer();
  }

  function onComposerInput() {
    autosize();
    const now = Date.now();
    if (!els.input.value.trim() || now - state.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    if (state.ready && send({ type: 'typing', thread: THREAD_ID })) state.lastTypingSent = now;
  }

  // Browsers without `field-sizing: content` get a grow-with-content textarea from here.
  function autosize() {
    if (!els.input || (window.CSS && CSS.supports('field-sizing', 'content'))) return;
    els.input.style.height = 'auto';
    els.input.style.height = els.input.scrollHeight + 'px';
  }

  /* ---------------- read receipts ---------------- */

  function sendReadIfDue() {
    if (!LIVE_THREAD || !state.ready || !isVisible()) return;
    const ids = messageIds();
    if (ids.length === 0) return;
    const peerIds = Array.from(els.log.querySelectorAll('li.msg.other[data-id]'),
      (li) => toInt(li.dataset.id));
    if (peerIds.length === 0 || Math.max(...peerIds) <= state.readSent) return;
    const upTo = Math.max(...ids);
    if (send({ type: 'read', thread: THREAD_ID, up_to: upTo })) {
      state.readSent = upTo;
      clearThreadUnread(THREAD_ID);
    }
  }

  /* ---------------- older messages ---------------- */

  async function loadOlder() {
    const paging = els.log.querySelector('li.paging.older');
    const ids = messageIds();
    if (!paging || state.loadingOlder || ids.length === 0) return;
    state.loadingOlder = true;
    const url = '/api/threads/' + THREAD_ID + '/messages?before=' + Math.min(...ids) +
      '&limit=' + OLDER_PAGE_SIZE;
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) return;
      const page = await response.json();
      prependMessages(Array.isArray(page.messages) ? page.messages : []);
      if (!page.has_more) paging.remove();
    } catch (err) {
      // Offline or a bad answer: the link stays, scrolling up again retries.
    } finally {
      state.loadingOlder = false;
    }
  }

  function prependMessages(messages) {
    const log = els.log;
    const heightBefore = log.scrollHeight;
    const topBefore = log.scrollTop;
    messages
      .filter((m) => isValidMessage(m) && m.thread === THREAD_ID)
      .forEach(insertMessage);
    log.scrollTop = topBefore + (log.scrollHeight - heightBefore);
    updateSeen();
  }

  function onOlderClick(event) {
    const link = event.target.closest('li.paging.older a');
    if (!link) return;
    event.preventDefault();
    loadOlder();
  }

  function onLogScroll() {
    if (els.log.scrollTop < NEAR_EDGE_PX) loadOlder();
  }

  /* ---------------- contact list ---------------- */

  function contactRows() {
    return els.contacts ? Array.from(els.contacts.querySelectorAll('li.contact')) : [];
  }

  function findContact(threadId, username) {
    const rows = contactRows();
    const byThread = rows.find((row) => toInt(row.dataset.threadId) === threadId);
    if (byThread || !username) return byThread || null;
    return rows.find((row) => sameUser(row.dataset.username, username)) || null;
  }

  function buildBadge() {
    const badge = el('span', 'badge');
    badge.hidden = true;
    badge.dataset.unread = '0';
    badge.append(el('span', 'count', '0'), el('span', 'visually-hidden', ' unread'));
    return badge;
  }

  function createContact(username) {
    const li = el('li', 'contact');
    li.dataset.username = username;
    const link = el('a', 'contact-link');
    link.href = '/chat/' + encodeURIComponent(username);
    link.append(el('span', 'contact-name', username),
      el('span', 'preview muted', 'No messages yet'), buildBadge());
    li.append(link);
    els.contacts.prepend(li);
    if (els.contactsEmpty) els.contactsEmpty.hidden = true;
    return li;
  }

  function setPreview(row, text, sentAt) {
    const preview = row.querySelector('.preview');
    if (preview) {
      preview.textContent = text;
      preview.classList.remove('muted');
    }
    let time = row.querySelector('time.contact-time');
    if (!time) {
      time = el('time', 'contact-time');
      const name = row.querySelector('.contact-name');
      if (name) name.after(time);
    }
    time.dateTime = sentAt;
    localizeTime(time);
  }

  function rowUnread(row) {
    const badge = row.querySelector('.badge');
    return badge ? toInt(badge.dataset.unread) : 0;
  }

  function setRowUnread(row, n) {
    const badge = row.querySelector('.badge');
    if (!badge) return;
    badge.dataset.unread = String(n);
    const count = badge.querySelector('.count');
    if (count) count.textContent = String(n);
    badge.hidden = n === 0;
  }

  function clearThreadUnread(threadId) {
    const row = findContact(threadId, null);
    if (!row) return;
    setTotalUnread(state.totalUnread - rowUnread(row));
    setRowUnread(row, 0);
  }

  function isReadingThread(threadId) {
    return LIVE_THREAD && threadId === THREAD_ID && isVisible();
  }

  function updateContactFor(m) {
    const own = sameUser(m.sender, ME);
    const counts = !own && !isReadingThread(m.thread);
    // In a 1:1 thread the contact is the sender, unless that is me (then, on the open
    // thread's page, it is the peer).
    const contactName = own ? (m.thread === THREAD_ID ? PEER : null) : m.sender;
    let row = findContact(m.thread, contactName);
    if (!row && !own && els.contacts) row = createContact(m.sender);
    if (counts) setTotalUnread(state.totalUnread + 1);
    if (!row) return;
    row.dataset.threadId = String(m.thread);
    setPreview(row, m.body, m.sent_at);
    if (counts) setRowUnread(row, rowUnread(row) + 1);
    if (els.contacts.firstElementChild !== row) els.contacts.prepend(row);
  }

  /* ---------------- wiring ---------------- */

  function onVisibilityChange() {
    if (!isVisible()) return;
    if (LIVE_THREAD) clearThreadUnread(THREAD_ID);
    sendReadIfDue();
  }

  function initThread() {
    els.log.addEventListener('click', onOlderClick);
    if (!LIVE_THREAD) return;
    loadOutbox().forEach(showPending);
    updateSeen();
    scrollToBottom();
    els.log.addEventListener('scroll', onLogScroll, { passive: true });
    if (els.composer && els.input) {
      els.composer.addEventListener('submit', (event) => {
        event.preventDefault();
        submitComposer();
      });
      els.input.addEventListener('keydown', onComposerKey);
      els.input.addEventListener('input', onComposerInput);
      autosize();
    }
  }

  function init() {
    localizeAll(document);
    readTitle();
    if (!ME) return;
    if (els.log && THREAD_ID) initThread();
    document.addEventListener('visibilitychange', onVisibilityChange);
    window.addEventListener('online', reconnectNow);
    window.addEventListener('focus', sendReadIfDue);
    // Logging out here closes this socket with 1008 while the page navigates away: that is
    // expected, not a reason to probe the session (a 401 in the console) or reconnect.
    document.querySelectorAll('form.logout').forEach((form) => {
      form.addEventListener('submit', () => { state.stopped = true; });
    });
    connect();
  }

  init();
})();
