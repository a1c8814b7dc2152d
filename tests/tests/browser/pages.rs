//! What a person does on the chat's pages, and what they see, for one [`Browser`]. Reads of
//! page state are one script each, so a poll is one `WebDriver` round trip.

use fantoccini::key::Key;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Browser, PASSWORD, WAIT, check, eventually};

/// One item of the message log as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Msg {
    /// `data-id`; `None` while pending (not yet acknowledged).
    pub id: Option<i64>,
    /// Shown sender name.
    pub sender: String,
    /// The body's text.
    pub body: String,
    /// Element children inside the body (0: plain text, as it must be).
    pub body_elements: u32,
    /// Shown as the signed-in user's own message.
    pub own: bool,
    /// Still "sending".
    pub pending: bool,
    /// The status line of a pending or failed message ("Sending…").
    pub status: Option<String>,
    /// Carries the "Seen" mark.
    pub seen: bool,
}

/// A contact row as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Contact {
    /// The contact's name.
    pub name: String,
    /// The unread badge, when visible.
    pub unread: Option<u64>,
    /// The preview line's text.
    pub preview: String,
}

const READ_LOG: &str = "
  return Array.from(document.querySelectorAll('#log li.msg')).map((li) => {
    const body = li.querySelector('.body');
    const sender = li.querySelector('.sender');
    const status = li.querySelector('.status');
    return {
      id: li.dataset.id ? Number(li.dataset.id) : null,
      sender: sender ? sender.textContent : '',
      body: body ? body.textContent : '',
      body_elements: body ? body.childElementCount : 0,
      own: li.classList.contains('own'),
      pending: li.classList.contains('pending'),
      status: status ? status.textContent : null,
      seen: Boolean(li.querySelector('.seen')),
    };
  });";

const READ_CONTACTS: &str = "
  return Array.from(document.querySelectorAll('#contacts li.contact')).map((li) => {
    const badge = li.querySelector('.badge');
    const preview = li.querySelector('.preview');
    return {
      name: li.dataset.username,
      unread: badge && !badge.hidden ? Number(badge.dataset.unread) : null,
      preview: preview ? preview.textContent : '',
    };
  });";

impl Browser {
    /// Signs up through the form and waits for the contact list.
    pub async fn sign_up(&self, username: &str) {
        self.goto("/signup").await;
        self.type_into("#username", username).await;
        self.type_into("#password", PASSWORD).await;
        self.type_into("#password2", PASSWORD).await;
        self.click("form.card button[type=submit]").await;
        self.wait_for_page("page-contacts").await;
    }

    /// Signs in through the form and waits for the contact list.
    pub async fn log_in(&self, username: &str) {
        self.goto("/login").await;
        self.type_into("#username", username).await;
        self.type_into("#password", PASSWORD).await;
        self.click("form.card button[type=submit]").await;
        self.wait_for_page("page-contacts").await;
    }

    /// Presses "Log out" in the app header and waits for a signed-out page.
    pub async fn log_out(&self) {
        self.click("form.logout button").await;
        self.wait_for_page("page-auth").await;
    }

    /// Waits until `<body>` has `class` and the document finished loading.
    pub async fn wait_for_page(&self, class: &str) {
        let what = format!("{}: a page with body.{class}", self.name);
        eventually(what, WAIT, async || {
            let (has, url): (bool, String) = self
                .exec(
                    "return [document.readyState === 'complete' &&
                       document.body.classList.contains(arguments[0]), location.href];",
                    vec![json!(class)],
                )
                .await;
            check(has, || url)
        })
        .await;
    }

    /// Waits until the page's WebSocket is up (`.conn-state[data-state=connected]`).
    pub async fn wait_connected(&self, timeout: std::time::Duration) {
        let what = format!("{}: the connection state `connected`", self.name);
        eventually(what, timeout, async || {
            let state = self.conn_state().await;
            check(state == "connected", || state)
        })
        .await;
    }

    /// The connection state the page shows.
    pub async fn conn_state(&self) -> String {
        self.exec(
            "const n = document.querySelector('.conn-state');
             return n ? n.dataset.state + (n.hidden ? ' (hidden)' : '') : 'none';",
            vec![],
        )
        .await
    }

    /// Clicks `username` in the contact list and waits for the live thread page.
    pub async fn open_contact(&self, username: &str) {
        let css = format!("#contacts li.contact[data-username=\"{username}\"] a.contact-link");
        self.click(&css).await;
        self.wait_for_page("page-thread").await;
        let peer: String = self
            .exec("return document.body.dataset.peer || '';", vec![])
            .await;
        assert_eq!(peer, username, "{}: opened the wrong thread", self.name);
        self.wait_connected(WAIT).await;
    }

    /// The open thread's id.
    pub async fn thread_id(&self) -> i64 {
        self.exec("return Number(document.body.dataset.threadId);", vec![])
            .await
    }

    /// Types `text` into the composer and presses Enter.
    pub async fn send_message(&self, text: &str) {
        let keys = format!("{text}{}", char::from(Key::Enter));
        self.type_into("#composer-body", &keys).await;
    }

    /// The message log as shown.
    pub async fn messages(&self) -> Vec<Msg> {
        self.exec(READ_LOG, vec![]).await
    }

    /// The contact list as shown.
    pub async fn contacts(&self) -> Vec<Contact> {
        self.exec(READ_CONTACTS, vec![]).await
    }

    /// The tab title.
    pub async fn title(&self) -> String {
        self.client()
            .title()
            .await
            .unwrap_or_else(|e| panic!("{}: title: {e}", self.name))
    }

    /// Reloads the page and waits for it to be live again.
    pub async fn reload(&self) {
        self.client()
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("{}: reload: {e}", self.name));
        self.wait_connected(WAIT).await;
    }

    /// Waits until the log holds exactly `bodies` (in this order), all acknowledged.
    pub async fn wait_for_log(&self, bodies: &[&str]) -> Vec<Msg> {
        let what = format!("{}: the log {bodies:?}, all delivered", self.name);
        eventually(what, WAIT, async || {
            let log = self.messages().await;
            let shown: Vec<&str> = log.iter().map(|m| m.body.as_str()).collect();
            let delivered = log.iter().all(|m| m.id.is_some());
            check(shown == bodies && delivered, || format!("{log:?}"))?;
            Ok(log)
        })
        .await
    }

    /// Whether a JavaScript dialog (alert, confirm…) is open.
    pub async fn dialog_open(&self) -> Option<String> {
        match self.client().get_alert_text().await {
            Ok(text) => Some(text),
            Err(e) if e.is_no_such_alert() => None,
            Err(e) => panic!("{}: asking for a dialog: {e}", self.name),
        }
    }

    /// Asserts the page does not scroll sideways at a 375 px wide viewport and every
    /// `selectors` element is rendered inside the viewport.
    pub async fn assert_fits(&self, page: &str, selectors: &[&str]) {
        let (layout, rects): ([f64; 4], Vec<Option<[f64; 4]>>) = self
            .exec(
                "const d = document.documentElement;
                 const rect = (css) => {
                   const e = document.querySelector(css);
                   if (!e) return null;
                   const r = e.getBoundingClientRect();
                   return [r.left, r.top, r.right, r.bottom];
                 };
                 return [[d.scrollWidth, d.clientWidth, innerWidth, innerHeight],
                         arguments[0].map(rect)];",
                vec![json!(selectors)],
            )
            .await;
        let [scroll_width, client_width, width, height] = layout;
        let who = &self.name;
        assert!(
            (width - 375.0).abs() < 0.5,
            "{who}, {page}: viewport {width} px wide, not 375"
        );
        assert!(
            scroll_width <= client_width,
            "{who}, {page}: scrolls sideways ({scroll_width} > {client_width} px)"
        );
        for (css, rect) in selectors.iter().zip(rects) {
            let Some([left, top, right, bottom]) = rect else {
                panic!("{who}, {page}: no `{css}`");
            };
            let inside =
                left >= 0.0 && top >= 0.0 && right <= width + 0.5 && bottom <= height + 0.5;
            assert!(
                inside && right > left && bottom > top,
                "{who}, {page}: `{css}` at [{left}, {top}, {right}, {bottom}] is not inside \
                 the {width}×{height} viewport"
            );
        }
    }

    /// Sets a marker on `window`; it survives only as long as the page is not reloaded.
    pub async fn mark_page(&self) {
        self.exec::<Value>("window.__e2eMark = true; return null;", vec![])
            .await;
    }

    /// Whether the marker of [`Self::mark_page`] is still there (no reload happened).
    pub async fn page_is_marked(&self) -> bool {
        self.exec("return window.__e2eMark === true;", vec![]).await
    }
}

/// Asserts ids are present and strictly increasing, and no body appears twice.
pub fn assert_ordered_once(who: &str, log: &[Msg]) {
    let ids: Vec<Option<i64>> = log.iter().map(|m| m.id).collect();
    assert!(
        ids.iter().all(Option::is_some) && ids.windows(2).all(|w| w[0] < w[1]),
        "{who}: ids not strictly increasing: {ids:?}"
    );
    let mut bodies: Vec<&str> = log.iter().map(|m| m.body.as_str()).collect();
    bodies.sort_unstable();
    let before = bodies.len();
    bodies.dedup();
    assert_eq!(
        before,
        bodies.len(),
        "{who}: a message is shown twice: {log:?}"
    );
}
