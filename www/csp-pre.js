// Runs before cuekit: records every CSP / Trusted Types violation on the page.
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.violations.push(`${e.violatedDirective}: ${e.blockedURI || e.sample || ''}`);
});
