// The host page already uses window.cuekit for something of its own.
window.cuekit = { mine: true };
