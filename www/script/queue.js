// Runs synchronously right after the loader: cuekit is still a stub. These calls must be
// queued and replayed in order (identify before track, or the "pro" rule's condition fails).
window.shown = [];
window.statusAtCall = window.cuekit.status;
window.cuekit.on('show', (d) => window.shown.push(d.rule));
window.cuekit.identify({ plan: 'pro' });
window.cuekit.track('go-pro');
// A subscription cancelled before the replay never hears anything.
const off = window.cuekit.on('show', (d) => window.shown.push(`cancelled:${d.rule}`));
off();
// A host that keeps the object it saw first keeps working after the swap to the real API.
window.captured = window.cuekit;
window.capturedTrack = window.cuekit.track;
