// The sample site's own script: Eloket removes it from its pages (unless the municipality
// chose to keep host scripts on its own host name).
window.eloketSampleSiteScript = true;
document.documentElement.classList.add("site-script-ran");
function trackClick() { /* a host's analytics would go here */ }
