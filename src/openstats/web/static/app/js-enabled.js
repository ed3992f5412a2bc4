// Loaded at the top of <body>, before anything is drawn: tells GOV.UK Frontend's CSS that
// JavaScript runs (and whether the browser supports modules), as its own template's inline
// script does. A file, not inline, so the Content-Security-Policy needs no 'unsafe-inline'.
document.body.className += ' js-enabled' +
  ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
