/* Eloket in a frame on a site that can only paste (docs/embedding.md). Paste:
     <script src="https://eloket.example/embed.js" data-municipality="gent"
             data-page="services/" async></script>
     <a href="https://eloket.example/gent/services/">E-loket of Gent</a>
   The link is what visitors without JavaScript get; with it, the link is replaced by a
   frame of that page, as tall as its content (the page posts its height, framed.js).
   The frame shows the page only for sites the municipality named (frame-ancestors). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var origin = new URL(script.src).origin;
  var slug = script.getAttribute("data-municipality") || "";
  var page = (script.getAttribute("data-page") || "").replace(/^\/+/, "");
  if (slug && !/^[a-z][a-z0-9-]{1,48}[a-z0-9]$/.test(slug)) {
    return;
  }
  var url = new URL((slug ? "/" + slug + "/" : "/") + page, origin);
  if (url.origin !== origin) {
    return; /* data-page names a page of Eloket, never another site */
  }
  var fallback = script.nextElementSibling;
  if (fallback && fallback.tagName !== "A") {
    fallback = null;
  }
  var frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title =
    script.getAttribute("data-title") ||
    (fallback && fallback.textContent.trim()) ||
    "E-loket";
  frame.style.display = "block";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = "30em"; /* until the page says how tall it is */
  if (fallback) {
    fallback.parentNode.replaceChild(frame, fallback);
  } else {
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) {
      return;
    }
    var data = event.data;
    if (!data || data.type !== "eloket:height") {
      return;
    }
    var height = Number(data.height);
    if (isFinite(height) && height > 0 && height < 100000) {
      frame.style.height = Math.ceil(height) + "px";
    }
  });
})();
