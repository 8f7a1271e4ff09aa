/* ripen's web tracking: first-party, dependency-free.
   <script async src="{API}/t.js" data-site="{site id}"></script>
   Sends page views and downloads to ripen. With consent "required" it sends
   nothing (and sets no cookie) until the page calls ripen('consent', true);
   with Global Privacy Control on it sends nothing at all. A signed rpn
   parameter (from a link in ripen's emails) is taken out of the address bar
   at once and traded for the visitor's identity once tracking may start.
   A form with data-ripen-fast-lane="OFFER" asks for sales when it is
   submitted (never on a page view): its note and email fields go along,
   and the visitor only when tracking is allowed. A form without an action
   is answered in place with its data-ripen-thanks text. */
(function (w, d) {
  "use strict";
  var script = d.currentScript || d.querySelector("script[data-site][src*='/t.js']");
  if (!script || !w.JSON || !w.URL) { return; }
  var site = script.getAttribute("data-site");
  var api = script.src.replace(/\/t\.js(\?.*)?$/, "");
  var queued = (w.ripen && w.ripen.q) || [];
  var gpc = w.navigator.globalPrivacyControl === true;
  var mode = null, consent = false, started = false;

  try {
    var here = new URL(w.location.href);
    var rpn = here.searchParams.get("rpn");
    if (rpn) {
      here.searchParams.delete("rpn");
      w.history.replaceState(w.history.state, "", here.pathname + here.search + here.hash);
      w.sessionStorage.setItem("ripen_rpn", rpn);
    }
  } catch (e) { /* no storage: the identity is lost, the page works */ }

  function allowed() { return !gpc && (mode === "implied" || (mode === "required" && consent)); }

  function visitor() {
    var m = d.cookie.match(/(?:^|;\s*)ripen_v=([A-Za-z0-9_-]{16,64})/);
    if (m) { return m[1]; }
    var bytes = new Uint8Array(18);
    w.crypto.getRandomValues(bytes);
    var id = w.btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    d.cookie = "ripen_v=" + id + "; Max-Age=34128000; Path=/; SameSite=Lax" + (w.location.protocol === "https:" ? "; Secure" : "");
    return id;
  }

  function send(path, body) {
    var data = JSON.stringify(body);
    try {
      if (w.navigator.sendBeacon && w.navigator.sendBeacon(api + path, new Blob([data], { type: "text/plain" }))) { return; }
    } catch (e) { /* fall back to fetch */ }
    w.fetch(api + path, { method: "POST", body: data, keepalive: true, credentials: "omit",
      headers: { "Content-Type": "text/plain" } })["catch"](function () {});
  }

  function page() { return w.location.origin + w.location.pathname; }

  function start() {
    if (started || !allowed()) { return; }
    started = true;
    var v = visitor(), rpn = null;
    try { rpn = w.sessionStorage.getItem("ripen_rpn"); w.sessionStorage.removeItem("ripen_rpn"); } catch (e) {}
    var view = function () { send("/t/collect", { site: site, visitor: v, kind: "view", url: page(), consent: true }); };
    if (rpn) {
      /* The view waits for the identity, so that it counts at once. */
      w.fetch(api + "/t/identify", { method: "POST", body: JSON.stringify({ site: site, visitor: v, rpn: rpn }),
        keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } }).then(view, view);
    } else {
      view();
    }
    d.addEventListener("click", function (e) {
      var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
      if (!a || !allowed() || a.origin !== w.location.origin) { return; }
      if (/\.[a-z0-9]{2,5}$/i.test(a.pathname) && !/\.(html?|php|aspx?|jsp)$/i.test(a.pathname)) {
        send("/t/collect", { site: site, visitor: v, kind: "download", url: a.origin + a.pathname, consent: true });
      }
    }, true);
  }

  function command(name, value) {
    if (name === "consent") {
      consent = value === true;
      start();
    }
  }

  function field(form, name) {
    var f = form.elements[name];
    return f && typeof f.value === "string" ? f.value : "";
  }

  /* Bubbling, so a page that cancels its own submit (validation) asks nothing. */
  function fastLane(e) {
    var form = e.target;
    if (e.defaultPrevented || !form || !form.matches || !form.matches("form[data-ripen-fast-lane]")) { return; }
    var body = { site: site, offer: form.getAttribute("data-ripen-fast-lane"), note: field(form, "note"),
      email: field(form, "email"), url: page() };
    if (allowed()) { body.visitor = visitor(); }
    send("/t/fast-lane", body);
    if (!form.getAttribute("action")) {
      e.preventDefault();
      var thanks = d.createElement("p");
      thanks.setAttribute("role", "status");
      thanks.className = "ripen-thanks";
      thanks.textContent = form.getAttribute("data-ripen-thanks") || "Thank you. We will be in touch.";
      form.parentNode.replaceChild(thanks, form);
    }
  }

  w.ripen = function () { command.apply(null, arguments); };
  for (var i = 0; i < queued.length; i++) { command.apply(null, queued[i]); }

  if (!site) { return; }
  d.addEventListener("submit", fastLane, false);
  if (gpc) { return; }
  w.fetch(api + "/t/site/" + encodeURIComponent(site), { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (c) { if (c) { mode = c.consent; start(); } })["catch"](function () {});
})(window, document);
