// Host actions registered before cuekit is ready are in place for the first decision
// (a rule on the start-up page view calls openChat).
window.chats = [];
window.cuekit.actions({ openChat: (payload) => window.chats.push(payload.rule) });
// Subscribed before ready: the handler is in place for the start-up page view too.
window.shows = [];
window.cuekit.on('show', (d) => window.shows.push(d.rule));
