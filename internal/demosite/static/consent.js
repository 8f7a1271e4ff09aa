/* The demo site's consent banner. It queues calls to ripen's script until
   that script has loaded (the queue form the script reads), and keeps the
   visitor's choice in localStorage, so every page asks once and every
   page after an "Accept" starts with consent. */
window.ripen = window.ripen || function () { (window.ripen.q = window.ripen.q || []).push(arguments); };
(function (w, d) {
  "use strict";
  var key = "seller-consent";
  function stored() { try { return w.localStorage.getItem(key); } catch (e) { return null; } }
  function keep(v) { try { w.localStorage.setItem(key, v); } catch (e) { /* private mode: ask again next page */ } }

  if (stored() === "granted") { w.ripen("consent", true); }

  function banner() { return d.getElementById("consent"); }
  function choose(granted) {
    keep(granted ? "granted" : "denied");
    w.ripen("consent", granted);
    banner().hidden = true;
  }
  function init() {
    if (!banner()) { return; }
    d.getElementById("consent-accept").addEventListener("click", function () { choose(true); });
    d.getElementById("consent-decline").addEventListener("click", function () { choose(false); });
    var openers = d.querySelectorAll("[data-consent-open]");
    for (var i = 0; i < openers.length; i++) {
      openers[i].addEventListener("click", function () {
        banner().hidden = false;
        d.getElementById("consent-accept").focus();
      });
    }
    if (stored() === null) { banner().hidden = false; }
  }
  if (d.readyState === "loading") { d.addEventListener("DOMContentLoaded", init); } else { init(); }
})(window, document);
