/* On a municipality's page that its named sites may frame (docs/embedding.md); does
   nothing unless the page is in a frame. Then it tells the framing page (embed.js) how
   tall the page is, posting only to the municipality's configured origins (never with
   the wildcard target), and makes links to log-in, one's own data, the officers' pages and other sites open
   at the top level: those pages are never framed. (A step that redirects to log-in
   answers a framed page with such a link instead: web/framing.py.) */
(function () {
  "use strict";
  if (window.top === window.self) {
    return;
  }
  var script = document.currentScript;
  var words = function (name) {
    return ((script && script.getAttribute(name)) || "").split(" ").filter(Boolean);
  };
  var origins = words("data-origins");
  var topPaths = words("data-top");
  var ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length && origins.indexOf(ancestors[0]) >= 0) {
    origins = [ancestors[0]];
  }
  var last = 0;
  var post = function () {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) {
      return;
    }
    last = height;
    origins.forEach(function (origin) {
      window.parent.postMessage({ type: "eloket:height", height: height }, origin);
    });
  };
  var atTop = function (url) {
    if (url.origin !== window.location.origin) {
      return true;
    }
    return topPaths.some(function (path) {
      return url.pathname.indexOf(path) === 0;
    });
  };
  Array.prototype.forEach.call(document.querySelectorAll("a[href]"), function (link) {
    var url = new URL(link.href, window.location.href);
    if (!atTop(url)) {
      return;
    }
    link.target = "_top";
    if (url.origin === window.location.origin && topPaths[0] === url.pathname) {
      if (!url.searchParams.has("next")) {
        /* log in at the top level, then come back to this page */
        url.searchParams.set("next", window.location.pathname + window.location.search);
        link.href = url.href;
      }
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    if (atTop(new URL(form.action || window.location.href, window.location.href))) {
      form.target = "_top"; /* log-out */
    }
  });
  document.documentElement.classList.add("eloket-framed");
  post();
  window.addEventListener("load", post);
  if (window.ResizeObserver) {
    new ResizeObserver(post).observe(document.documentElement);
  } else {
    window.addEventListener("resize", post);
  }
})();
