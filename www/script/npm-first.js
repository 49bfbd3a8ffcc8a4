// A bundled copy of the npm module (another module URL, so another module instance)
// starts cuekit on its own; the script tag on the same page must not start a second one.
import { init } from '/js/index.js?copy=bundled';

const config = await (await fetch('/www/script/cuekit.json')).json();
window.npmCk = await init(config);
